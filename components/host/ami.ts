/**
 * The machine image: Ubuntu Server 24.04 LTS from Canonical, found through
 * Canonical's public SSM parameters
 * (`/aws/service/canonical/ubuntu/<product>/<release>/stable/current/<arch>/hvm/<volume type>/ami-id`,
 * https://discourse.ubuntu.com/t/finding-ubuntu-images-with-the-aws-ssm-parameter-store/15507).
 * The parameter moves with Canonical's releases; the resolved id is recorded in
 * the launch template, so a new image reaches instances only through a
 * `pulumi up` that changes the template (and, for pools, an instance refresh).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { UBUNTU_RELEASE } from "../../config/versions";

export type Arch = "amd64" | "arm64";

export function ubuntuAmiParameter(arch: Arch): string {
    return `/aws/service/canonical/ubuntu/server/${UBUNTU_RELEASE}/stable/current/${arch}/hvm/ebs-gp3/ami-id`;
}

/** EC2's architecture name for an instance type's CPU (see config/rules.ts architectureOf). */
export function debianArch(ec2Arch: "x86_64" | "arm64"): Arch {
    return ec2Arch === "arm64" ? "arm64" : "amd64";
}

export function lookupAmi(arch: Arch, parent: pulumi.Resource): pulumi.Output<string> {
    return aws.ssm.getParameterOutput({ name: ubuntuAmiParameter(arch) }, { parent }).value;
}
