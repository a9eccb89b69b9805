// Runs every `bench:*` script of package.json in turn, so a new benchmark only needs its script.
const { execSync } = require("node:child_process");
const { scripts } = require("../../package.json");

const names = Object.keys(scripts).filter((name) => name.startsWith("bench:"));
let failed = 0;
for (const name of names) {
  console.log(`\n=== npm run ${name}`);
  try {
    execSync(`npm run --silent ${name}`, { stdio: "inherit" });
  } catch {
    failed += 1;
  }
}
if (failed > 0) {
  console.error(`${failed} of ${names.length} benchmarks failed or missed their targets`);
  process.exitCode = 1;
}
