// Lint for reel (STYLE.md §7): type-aware typescript-eslint, the time ban, size warnings.
import tseslint from "typescript-eslint";

const timeBan = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "Read time through the injected clock (only composition roots read it)" },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "Read time through the injected clock (only composition roots read it)" },
  { selector: "CallExpression[callee.name='setTimeout']", message: "No timers outside composition roots" },
  { selector: "CallExpression[callee.name='setInterval']", message: "No timers outside composition roots" },
];

export default tseslint.config(
  { ignores: ["dist/", "build/", "node_modules/", "tools/", "native/", "*.js", "bench/"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": ["error", ...timeBan],
      "max-lines": ["warn", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["warn", { max: 60, skipBlankLines: true, skipComments: true }],
      complexity: ["warn", 15],
    },
  },
  {
    files: ["src/cli/main.ts", "**/*.test.ts", "test/**/*.ts"],
    rules: {
      "no-restricted-syntax": "off",
      "max-lines-per-function": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-floating-promises": "off",
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },
);
