/**
 * Import layers, checked by `npm run check` (dependency-cruiser). Layers run one way:
 *
 *   lib/        naming, tagging, CIDR, instance-type and AWS-limit facts; imports nothing of ours
 *   config/     reading and validating the stack configuration, and the preflight checks against AWS;
 *               imports lib/ only
 *   components/, addons/   the resources; import config/ and lib/
 *   program.ts, index.ts   wire them together
 *   tools/, test/          may import anything (the program never imports them)
 *
 * policies/ is its own package (built and shipped on its own), so it imports nothing from the program.
 * Any import cycle fails too. test/tools/layers.spec.ts proves each rule fires on a deliberately bad import.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
    forbidden: [
        {
            name: "no-circular",
            severity: "error",
            comment: "An import cycle: break it by moving the shared part down a layer (lib/ or config/).",
            from: {},
            to: { circular: true },
        },
        {
            name: "lib-imports-nothing-of-ours",
            severity: "error",
            comment: "lib/ is the bottom layer: pure facts and helpers that config/ and components/ share.",
            from: { path: "^lib/" },
            to: { path: "^(config|components|addons|tools|test|policies)/|^(program|index)\\.ts$" },
        },
        {
            name: "config-imports-only-lib",
            severity: "error",
            comment: "config/ validates the stack file before any component exists: move what it needs into lib/ (facts) or config/ (rules).",
            from: { path: "^config/" },
            to: { path: "^(components|addons|tools|test|policies)/|^(program|index)\\.ts$" },
        },
        {
            name: "program-never-imports-tools-or-tests",
            severity: "error",
            comment: "The deployed program (components/, addons/, program.ts, index.ts) must not load development tooling or tests.",
            from: { path: "^(components|addons)/|^(program|index)\\.ts$" },
            to: { path: "^(tools|test)/" },
        },
        {
            name: "policy-pack-stands-alone",
            severity: "error",
            comment: "policies/ is published as its own pack with its own package.json: copy a fact, do not import it.",
            from: { path: "^policies/" },
            to: { path: "^(?!policies/)", dependencyTypes: ["local"] },
        },
        {
            name: "components-do-not-import-program",
            severity: "error",
            comment: "program.ts and index.ts sit on top; nothing of the program imports them.",
            from: { path: "^(components|addons|config|lib)/" },
            to: { path: "^(program|index)\\.ts$" },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "(^|/)node_modules/|^test/golden/|^out/|^bin/" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        combinedDependencies: false,
    },
};
