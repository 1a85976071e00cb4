// @ts-check
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".reef/", ".esbuild*/", ".serverless*/", "coverage/", "tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: globals.node },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  // NATS stays behind lib/store: other modules use the Store's typed methods, and its raw handles
  // (lib/store/internal) are for tests only. lib/engine, the data plane, is the one other user of
  // @nats-io: its nats inputs and outputs own their connections (lib/README.md).
  {
    files: ["lib/**/*.ts", "functions/**/*.ts"],
    ignores: ["lib/store/**", "lib/engine/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@nats-io/*"], message: "NATS is lib/store's: use the Store's methods" },
            {
              group: ["**/store/*", "!**/store/index"],
              message: "import lib/store's public surface (lib/store); its internal entry is for tests",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["lib/engine/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/store/internal"], message: "lib/store/internal is for tests only" }] },
      ],
    },
  },
  // Settings are lib/config's: no other code reads a REEF_* variable (settings()/settingsFrom(env)
  // give it typed and validated). Writing one is allowed: that is how a child process (an
  // execution, serverless-offline, a host) is given its settings. Tests are outside the rule: they
  // inspect env maps as data (a packaged function's environment) and have knobs of their own.
  {
    files: ["lib/**/*.{ts,tsx}", "functions/**/*.ts", "infra/**/*.{ts,js,mjs,cjs}"],
    ignores: ["lib/config/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "MemberExpression[property.name=/^REEF_/]:not(AssignmentExpression > MemberExpression.left):not(UnaryExpression[operator='delete'] > MemberExpression)",
          message:
            "REEF_* settings are read through lib/config: settings().<name> or settingsFrom(env).<name>",
        },
        {
          selector:
            "MemberExpression[computed=true][property.value=/^REEF_/]:not(AssignmentExpression > MemberExpression.left):not(UnaryExpression[operator='delete'] > MemberExpression)",
          message:
            "REEF_* settings are read through lib/config: settings().<name> or settingsFrom(env).<name>",
        },
      ],
    },
  },
  // CommonJS files (Serverless Framework plugins) load modules with require()
  { files: ["**/*.cjs"], rules: { "@typescript-eslint/no-require-imports": "off" } },
  // the console's browser code (lib/console/web, bundled by infra/build.mjs)
  { files: ["lib/console/web/**"], languageOptions: { globals: globals.browser } },
);
