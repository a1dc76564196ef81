/**
 * `npm run policy -- --plan <plan.json> [--config <policy-config.json>]`
 * Runs the policy pack offline over a plan file: the same policy modules
 * `pulumi preview --policy-pack policies` loads. Contract: ../shared/contracts/render.md.
 */
import { main } from "../policies/cli";

process.exitCode = main(process.argv.slice(2));
