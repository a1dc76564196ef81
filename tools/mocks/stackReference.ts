/**
 * Mock of Pulumi's built-in StackReference (`pulumi:pulumi:StackReference`, read by the
 * engine's builtin provider): the program reads its OWN stack's previous outputs
 * (config/previous.ts). The engine answers with the stack's last checkpoint outputs, `{}`
 * for a stack that was never deployed, and fails for a stack that does not exist; the
 * mock knows only the stack it runs, whose outputs the caller hands in
 * (`npm run render -- --previous-outputs <file>`), and refuses any other name as the
 * engine would refuse a stack it cannot find. State shape as the builtin provider
 * returns it (pulumi/pulumi pkg/resource/deploy/builtins.go, readStackReference:
 * `name`, `outputs`, `secretOutputNames`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { MockContext, MockResourceRequest, ProviderMock } from "./types";

export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";

function readStackReference(req: MockResourceRequest, ctx: MockContext) {
    const own = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    const name = req.inputs.name;
    if (name !== own) throw new Error(`unknown stack "${String(name)}" (the mock runtime knows only its own stack, ${own})`);
    const outputs = ctx.previousOutputs ?? { values: {}, secretNames: [] };
    return { id: own, state: { name: own, outputs: outputs.values, secretOutputNames: outputs.secretNames } };
}

export const stackReferenceMock: ProviderMock = {
    resources: { [STACK_REFERENCE_TYPE]: readStackReference },
    calls: {},
    secretOutputs: {},
};
