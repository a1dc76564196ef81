import { inClusterApiEndpointInternal } from "../rules/apiReachability";
import { checkStack, expectViolation, expectNone, Res } from "./helper";

const INTERNAL = "api.internal.prod.k8s.example.com";
const PUBLIC = "api.prod.k8s.example.com";
const records: Res[] = [
    { type: "aws:route53/record:Record", name: "prod-api-internal", props: { name: INTERNAL, type: "A", ttl: 60, records: ["10.0.32.10", "10.0.64.10", "10.0.96.10"] } },
    {
        type: "aws:route53/record:Record",
        name: "prod-api-public",
        props: { name: PUBLIC, type: "A", aliases: [{ name: "prod-api-0a1b2c3d.elb.eu-west-1.amazonaws.com", zoneId: "Z2IFOLAFXWLO4F", evaluateTargetHealth: true }] },
    },
];
const calico = (host: string): Res => ({
    type: "kubernetes:helm.sh/v3:Release",
    name: "prod-addons-calico-release",
    props: { chart: "tigera-operator", values: { kubernetesServiceEndpoint: { host, port: "6443" } } },
});

describe("in-cluster-api-endpoint-internal", () => {
    it("accepts Calico on the internal name (private A records)", () => expectNone(checkStack(inClusterApiEndpointInternal, [...records, calico(INTERNAL)])));
    it("accepts a private address literal", () => expectNone(checkStack(inClusterApiEndpointInternal, [...records, calico("10.0.32.10")])));
    it("accepts a name aliasing an internal load balancer", () => {
        const alias: Res = {
            type: "aws:route53/record:Record",
            name: "prod-api-internal",
            props: { name: INTERNAL, type: "A", aliases: [{ name: "internal-prod-api-0a1b2c3d.elb.eu-west-1.amazonaws.com", zoneId: "Z2IFOLAFXWLO4F" }] },
        };
        expectNone(checkStack(inClusterApiEndpointInternal, [alias, records[1], calico(INTERNAL)]));
    });
    it("rejects the public API name", () =>
        expectViolation(
            checkStack(inClusterApiEndpointInternal, [...records, calico(PUBLIC)]),
            /Release prod-addons-calico-release values.kubernetesServiceEndpoint.host is api.prod.k8s.example.com, which not every node can reach.*use api.internal.prod.k8s.example.com/,
        ));
    it("rejects a load balancer's or an Elastic IP's public address", () => {
        expectViolation(checkStack(inClusterApiEndpointInternal, [...records, calico("prod-api-0a1b2c3d.elb.eu-west-1.amazonaws.com")]), /not every node can reach/);
        expectViolation(checkStack(inClusterApiEndpointInternal, [...records, calico("203.0.113.7")]), /not every node can reach/);
    });
    it("rejects a name whose record mixes in a public address", () => {
        const mixed: Res = { type: "aws:route53/record:Record", name: "prod-api-internal", props: { name: INTERNAL, type: "A", records: ["10.0.32.10", "203.0.113.7"] } };
        expectViolation(checkStack(inClusterApiEndpointInternal, [mixed, calico(INTERNAL)]), /not every node can reach/);
    });
    it("checks KUBERNETES_SERVICE_HOST in ConfigMaps and pod templates", () => {
        const cm: Res = { type: "kubernetes:core/v1:ConfigMap", name: "endpoint", props: { data: { KUBERNETES_SERVICE_HOST: PUBLIC, KUBERNETES_SERVICE_PORT: "6443" } } };
        expectViolation(checkStack(inClusterApiEndpointInternal, [...records, cm]), /ConfigMap endpoint data.KUBERNETES_SERVICE_HOST is api.prod/);
        const ds: Res = {
            type: "kubernetes:apps/v1:DaemonSet",
            name: "agent",
            props: { spec: { template: { spec: { containers: [{ name: "a", env: [{ name: "KUBERNETES_SERVICE_HOST", value: PUBLIC }] }] } } } },
        };
        expectViolation(checkStack(inClusterApiEndpointInternal, [...records, ds]), /DaemonSet agent spec.template.spec.containers\[0\].env\[0\].value/);
        const ok: Res = { ...ds, props: { spec: { template: { spec: { containers: [{ name: "a", env: [{ name: "KUBERNETES_SERVICE_HOST", value: INTERNAL }] }] } } } } };
        expectNone(checkStack(inClusterApiEndpointInternal, [...records, ok]));
    });
    it("has nothing to say about a stack without such consumers", () => expectNone(checkStack(inClusterApiEndpointInternal, records)));
});
