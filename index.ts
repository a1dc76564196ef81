// Entry point for `pulumi up` / `pulumi preview`: see program.ts.
import { main } from "./program";

export = main;
