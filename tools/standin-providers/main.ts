/**
 * Entry of the stand-in provider plugins (TEST INFRASTRUCTURE ONLY; see provider.ts):
 * `main.ts <package> <engine address>`, started by bin/pulumi-resource-<package>.
 * The version each answers with is the one the program's SDK package requests.
 */
import * as grpc from "@grpc/grpc-js";
import * as provider from "@pulumi/pulumi/provider";
import { ProviderMock } from "../mocks/types";
import { awsMock } from "../mocks/aws";
import { ssmMock } from "../mocks/ssm";
import { tlsMock } from "../mocks/tls";
import { randomMock } from "../mocks/random";
import { kubernetesMock } from "../mocks/kubernetes";
import { standInProvider } from "./provider";

/** The AWS plugin answers for every AWS mock (the render keeps Parameter Store in its own file, tools/mocks/ssm.ts). */
const awsPlugin: ProviderMock = {
    resources: { ...awsMock.resources, ...ssmMock.resources },
    calls: { ...awsMock.calls, ...ssmMock.calls },
    secretOutputs: { ...awsMock.secretOutputs, ...ssmMock.secretOutputs },
};

const MOCKS: Record<string, ProviderMock> = { aws: awsPlugin, tls: tlsMock, random: randomMock, kubernetes: kubernetesMock };

const [pkg, ...args] = process.argv.slice(2);
const mock = MOCKS[pkg];
if (!mock) {
    process.stderr.write(`stand-in provider: unknown package ${JSON.stringify(pkg)}; allowed: ${Object.keys(MOCKS).join(", ")}\n`);
    process.exit(2);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package is named at run time
const version: string = require(`@pulumi/${pkg}/package.json`).version;

/**
 * The SDK's provider server accepts Configure but does not hand the configuration to the
 * provider (@pulumi/pulumi@3.248.0 provider/server.js `configure`); the region of the AWS
 * mocks comes from it, so Configure is observed on its way in.
 */
let config: Record<string, string> = {};
const addService = grpc.Server.prototype.addService;
grpc.Server.prototype.addService = function (service: any, impl: any) {
    if (typeof impl?.configure === "function") {
        const configure = impl.configure.bind(impl);
        impl.configure = (call: any, callback: any) => {
            const vars: Record<string, string> = {};
            call.request.getVariablesMap().forEach((v: string, k: string) => (vars[k] = v));
            const args = call.request.getArgs()?.toJavaScript() ?? {};
            for (const [k, v] of Object.entries(args)) if (typeof v === "string") vars[k] = v;
            config = vars;
            configure(call, callback);
        };
    }
    if (typeof impl?.diff === "function") {
        // The SDK's server hands Diff the old state (outputs); the engine also sends the old inputs
        // (DiffRequest.old_inputs), which is what a program's new inputs compare with.
        const diff = impl.diff.bind(impl);
        impl.diff = (call: any, callback: any) => {
            const oldInputs = call.request.getOldInputs();
            if (oldInputs) call.request.setOlds(oldInputs);
            return diff(call, callback);
        };
    }
    return addService.call(this, service, impl);
};

provider.main(standInProvider({ version, mock, config: () => config }), args);
