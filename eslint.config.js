// Lint for reel (STYLE.md §7): type-aware typescript-eslint, the time ban (STYLE §2.3) and size
// warnings. No stylistic rules: formatting is not the linter's job. The layer rules live in
// test/architecture.test.ts, which reads the allowed-imports table of docs/architecture.md.
import { fileURLToPath } from "node:url";
import tseslint from "typescript-eslint";

const clockMessage = "Time is an argument (STYLE §2.3): take a Clock or a `now` from the composition root";

/** Syntax that reads the real clock or starts a timer: allowed only in composition roots, tests and bench. */
const timeBan = {
  "no-restricted-syntax": [
    "error",
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date() reads the clock. ${clockMessage}` },
  ],
  "no-restricted-properties": [
    "error",
    { object: "Date", property: "now", message: clockMessage },
    { object: "performance", property: "now", message: clockMessage },
  ],
  "no-restricted-globals": [
    "error",
    { name: "setTimeout", message: `Timers belong to the Clock. ${clockMessage}` },
    { name: "setInterval", message: `Timers belong to the Clock. ${clockMessage}` },
  ],
  "no-restricted-imports": [
    "error",
    {
      paths: ["node:timers", "node:timers/promises", "timers", "timers/promises"].map((name) => ({
        name,
        message: `Timers belong to the Clock. ${clockMessage}`,
      })),
    },
  ],
};

export default tseslint.config(
  { ignores: ["dist/", "build/", "node_modules/", "tools/", "native/", "*.js", "*.mjs", "*.cjs"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: fileURLToPath(new URL(".", import.meta.url)) },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's test()/describe() return promises that the runner itself awaits.
          allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] }],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "@typescript-eslint/no-explicit-any": "error",
      // Numbers and booleans read fine in messages ("block 4212"); objects and nullish values do not.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      ...timeBan,
      "max-lines": ["warn", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["warn", { max: 60, skipBlankLines: true, skipComments: true }],
      complexity: ["warn", 15],
    },
  },
  {
    // Composition roots read the clock and own the timers; tests and benchmarks measure time.
    files: ["src/cli/main.ts", "src/server/main.ts", "src/server/client-agent-worker.ts", "src/server/node-agent-worker.ts", "**/*.test.ts", "test/**/*.ts", "bench/**/*.ts"],
    rules: Object.fromEntries(Object.keys(timeBan).map((rule) => [rule, "off"])),
  },
  {
    // Tests: a test() callback is a list of cases, not a function to keep short; fixtures parsed
    // from JSON are checked by the assertions themselves.
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: {
      "max-lines-per-function": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);
