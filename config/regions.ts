/**
 * AWS regions this program knows, with the availability-zone names that exist
 * in them (the union over accounts; each account sees a subset, which is why
 * the program also asks `aws.getAvailabilityZones` at run time). The offline
 * mocks answer that call from this table. Checked against the AWS regions
 * and zones documentation, 2026-11.
 */
export const REGION_ZONES: Readonly<Record<string, readonly string[]>> = {
    "us-east-1": ["a", "b", "c", "d", "e", "f"],
    "us-east-2": ["a", "b", "c"],
    "us-west-1": ["a", "b", "c"],
    "us-west-2": ["a", "b", "c", "d"],
    "ca-central-1": ["a", "b", "d"],
    "sa-east-1": ["a", "b", "c"],
    "eu-west-1": ["a", "b", "c"],
    "eu-west-2": ["a", "b", "c"],
    "eu-west-3": ["a", "b", "c"],
    "eu-central-1": ["a", "b", "c"],
    "eu-central-2": ["a", "b", "c"],
    "eu-north-1": ["a", "b", "c"],
    "eu-south-1": ["a", "b", "c"],
    "eu-south-2": ["a", "b", "c"],
    "ap-south-1": ["a", "b", "c"],
    "ap-southeast-1": ["a", "b", "c"],
    "ap-southeast-2": ["a", "b", "c"],
    "ap-northeast-1": ["a", "c", "d"],
    "ap-northeast-2": ["a", "b", "c", "d"],
    "ap-northeast-3": ["a", "b", "c"],
    "me-central-1": ["a", "b", "c"],
    "af-south-1": ["a", "b", "c"],
};

export const KNOWN_REGIONS = Object.keys(REGION_ZONES);

export function zonesOf(region: string): string[] {
    return (REGION_ZONES[region] ?? []).map((letter) => `${region}${letter}`);
}
