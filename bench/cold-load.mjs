// Loaded by a fresh `node` per measurement: how long importing one bundle takes.
// performance.now() counts from the process's time origin (its start), so `total` is
// process start → import done and `import` is the import alone.
const before = performance.now();
await import(process.argv[2]);
const after = performance.now();
process.stdout.write(JSON.stringify({ total: after, import: after - before }));
