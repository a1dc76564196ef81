/**
 * Shared shapes for the provider mocks. The mocks stand in for the AWS, TLS and
 * random providers when the program runs under `pulumi.runtime.setMocks`
 * (offline render and tests); they answer like the real providers would.
 */

/** What every mock may rely on: a pinned clock and an optional seed for determinism. */
export interface MockContext {
    /** When set, every random choice (keys, serials, random values) derives from it. */
    readonly seed: string | undefined;
    /** The clock the mocks use (certificate validity, timestamps). Pinned for golden tests. */
    readonly now: Date;
    readonly region: string;
    readonly accountId: string;
    readonly partition: string;
    /**
     * The stack's outputs from its last deployment, as its StackReference to itself reads them
     * (stackReference.ts); undefined: a stack never deployed (no outputs).
     */
    readonly previousOutputs?: { readonly values: Record<string, unknown>; readonly secretNames: readonly string[] };
    /**
     * SSM parameters the mocked account holds, by name (ssm.ts), besides Canonical's public AMI
     * parameters; any other name is absent, as in an account that never held it.
     */
    readonly ssmParameters?: Readonly<Record<string, string>>;
}

/** One resource registration, as the mock runtime hands it over, with secrets already unwrapped. */
export interface MockResourceRequest {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

export interface MockResourceResult {
    readonly id: string;
    /** The full output state (inputs merged with computed outputs), plain values. */
    readonly state: Record<string, any>;
}

export type ResourceMock = (req: MockResourceRequest, ctx: MockContext) => MockResourceResult | Promise<MockResourceResult>;

/** A provider function (data source / invoke). */
export type CallMock = (inputs: Record<string, any>, ctx: MockContext) => Record<string, any> | Promise<Record<string, any>>;

/** A mock provider: resource mocks and function mocks keyed by Pulumi type token, and the outputs the real provider marks secret. */
export interface ProviderMock {
    readonly resources: Record<string, ResourceMock>;
    readonly calls: Record<string, CallMock>;
    /** type token -> output property names the real provider marks as secret (additionalSecretOutputs). */
    readonly secretOutputs: Record<string, readonly string[]>;
}
