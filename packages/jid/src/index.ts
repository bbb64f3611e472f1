export const hello = (x: string): string => x.toUpperCase();
