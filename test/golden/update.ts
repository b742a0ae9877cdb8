/** Writes the golden fixtures (run only with UPDATE_GOLDEN=1, once per format version, then review). */
import { writeFileSync } from "node:fs";
import { buildFixture, expectation, fixtures, hexdump } from "./fixtures.js";

if (process.env["UPDATE_GOLDEN"] !== "1") {
  console.error("Refusing to rewrite golden fixtures without UPDATE_GOLDEN=1: old fixtures never change");
  process.exit(2);
}
const dir = new URL("../../../test/golden/v1/", import.meta.url);
for (const fixture of fixtures) {
  const medium = await buildFixture(fixture);
  writeFileSync(new URL(`${fixture.name}.reel`, dir), medium);
  writeFileSync(new URL(`${fixture.name}.json`, dir), JSON.stringify(expectation(fixture), null, 1) + "\n");
  if (fixture.name === "minimal") writeFileSync(new URL("minimal.hex", dir), hexdump(medium));
  console.log(`${fixture.name}.reel: ${medium.length} bytes`);
}
