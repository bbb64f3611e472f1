// Order keys for offline messages (AmpWork.order, stored AMP events): sortable as strings and
// monotonic per process, hence per connection (a connection is served by one router at a time,
// and a successor's clock has moved on). Milliseconds since the epoch, then a per-process
// counter, both zero-padded.

export function createOrderKeys(now: () => number = Date.now): () => string {
  let lastMs = 0;
  let counter = 0;
  return () => {
    // A clock that steps back must not reorder: keep the last time and count on.
    const ms = Math.max(now(), lastMs);
    counter = ms === lastMs ? counter + 1 : 0;
    lastMs = ms;
    return `${String(ms).padStart(15, "0")}-${String(counter).padStart(9, "0")}`;
  };
}
