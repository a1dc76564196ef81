// Lint rules for the program, the tools, the tests and the policy pack (`npm run lint`, part of `npm run check`).
// Syntax-level typescript-eslint rules only: type-aware linting would re-run the type-checker that
// `npm run check` already runs (tsc with noUnusedLocals/noUnusedParameters), at several times the CPU cost.
// Import layers and cycles are dependency-cruiser's job (.dependency-cruiser.cjs).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["**/node_modules/**", "out/**", "bin/**", "tmp/**", "test/golden/**", "test/cases/**", "**/*.d.ts"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { ecmaVersion: 2022, sourceType: "module" },
        linterOptions: { reportUnusedDisableDirectives: "error" },
        rules: {
            // As tsc's noUnusedParameters: a leading underscore marks a deliberately unused name
            // (a parameter a signature requires, a property dropped from a copy with `...rest`).
            "@typescript-eslint/no-unused-vars": [
                "error",
                { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
            ],
            // `import x = require()` and require() stay allowed where a module must load lazily (after the
            // mock runtime is set, or timed); each such line says why with an eslint-disable comment.
            "@typescript-eslint/no-require-imports": "error",
        },
    },
    {
        // Test doubles, engine stand-ins and plan/JSON readers handle the engine's untyped payloads
        // (Pulumi's MockResourceArgs.inputs and a plan's inputs are `any` upstream); the deployed program
        // (config/, lib/, components/, addons/) and the policy pack stay free of `any`.
        files: ["tools/**/*.ts", "test/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
    {
        files: ["**/*.js", "**/*.cjs"],
        languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", exports: "writable", process: "readonly", __dirname: "readonly", console: "readonly" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
