// Which ordered partition of the work queue a key (an account's bare JID) belongs to: FNV-1a
// over its UTF-8 bytes. Every router and worker must compute the same answer, so this is the one
// place it is computed, and the count comes from the shared configuration (amp.partitions).

const encoder = new TextEncoder();

export function partitionOf(key: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}
