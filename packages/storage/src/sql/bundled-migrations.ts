// The migrations compiled into a bundle: `npm run build` (scripts/build.ts) replaces this module
// with every packages/storage/src/migrations/<set>/NNN_name.sql, file name to SQL. From source it
// is undefined and migrate.ts reads the directory.
export const bundledMigrations: Record<string, Record<string, string>> | undefined = undefined;
