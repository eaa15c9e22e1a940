// Times the reference compiler in-process (no node start-up in the figure), for tests/benchmarks/bench_render.py.
// Usage: node bench-mjml.cjs FILE.mjml ROUNDS  →  {"median_ms": …, "rounds": …}
const fs = require("fs");
const mjml2html = require("mjml");

const [file, rounds = "50"] = process.argv.slice(2);
const source = fs.readFileSync(file, "utf8");
const options = { fonts: {}, validationLevel: "skip", minify: false, beautify: false };
for (let i = 0; i < 5; i++) mjml2html(source, options); // warm the JIT
const samples = [];
for (let i = 0; i < Number(rounds); i++) {
  const started = process.hrtime.bigint();
  mjml2html(source, options);
  samples.push(Number(process.hrtime.bigint() - started) / 1e6);
}
samples.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: samples[Math.floor(samples.length / 2)], rounds: samples.length }));
