/**
 * Retention of etcd backups as data: S3 lifecycle rules for the snapshot
 * prefixes written by the backup script (backup.ts explains the layout) and
 * a DLM policy for EBS snapshots of the slot data volumes.
 */
import { DLM_TARGET_TAG } from "../../lib/naming";
import { check, checkPositiveInt } from "../host/shell";
import { BACKUP_PREFIX } from "../host/paths";

export { DLM_TARGET_TAG };

/** A rule shaped like aws.s3.BucketLifecycleConfiguration's `rules[]` input. */
export interface LifecycleRule {
    readonly id: string;
    readonly status: "Enabled";
    readonly filter: { readonly prefix: string };
    readonly expiration?: { readonly days: number };
    readonly noncurrentVersionExpiration?: { readonly noncurrentDays: number };
    readonly abortIncompleteMultipartUpload?: { readonly daysAfterInitiation: number };
}

/**
 * Lifecycle rules for the backup prefixes, to merge into the secrets
 * bucket's one lifecycle configuration: hourly kept 7 days, daily 90,
 * overwritten versions 1 day, failed multipart uploads (aws s3 cp uses them
 * above 8 MiB) 1 day.
 */
export function backupLifecycleRules(cluster: string, prefix = BACKUP_PREFIX, keep = { hourlyDays: 7, dailyDays: 90 }): LifecycleRule[] {
    const base = `${check("s3Key", "prefix", prefix)}/${check("label", "cluster", cluster)}`;
    checkPositiveInt("hourlyDays", keep.hourlyDays);
    checkPositiveInt("dailyDays", keep.dailyDays);
    return [
        { id: `${cluster}-etcd-hourly`, status: "Enabled", filter: { prefix: `${base}/hourly/` }, expiration: { days: keep.hourlyDays }, noncurrentVersionExpiration: { noncurrentDays: 1 } },
        { id: `${cluster}-etcd-daily`, status: "Enabled", filter: { prefix: `${base}/daily/` }, expiration: { days: keep.dailyDays }, noncurrentVersionExpiration: { noncurrentDays: 1 } },
        { id: `${cluster}-etcd-multipart`, status: "Enabled", filter: { prefix: `${base}/` }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
    ];
}

/** Shaped like aws.dlm.LifecyclePolicy's args, minus executionRoleArn (the wiring's role). */
export interface DlmPolicy {
    readonly description: string;
    readonly state: "ENABLED";
    readonly policyDetails: {
        readonly policyType: "EBS_SNAPSHOT_MANAGEMENT";
        readonly resourceTypes: readonly ["VOLUME"];
        readonly targetTags: Readonly<Record<string, string>>;
        readonly schedules: ReadonlyArray<{
            readonly name: string;
            readonly createRule: { readonly interval: number; readonly intervalUnit: "HOURS"; readonly times: string };
            readonly retainRule: { readonly count: number };
            readonly copyTags: boolean;
            readonly tagsToAdd: Readonly<Record<string, string>>;
        }>;
    };
}

/**
 * EBS snapshots of the slot data volumes every 12 hours, 14 kept (a week).
 * A snapshot of a live volume is crash-consistent, which etcd tolerates like
 * a power loss (WAL and bbolt are fsync'd), so no freeze is needed.
 */
export function dlmPolicy(cluster: string, opts = { everyHours: 12, retain: 14 }): DlmPolicy {
    check("label", "cluster", cluster);
    if (![1, 2, 3, 4, 6, 8, 12, 24].includes(opts.everyHours)) throw new Error(`DLM interval ${opts.everyHours} h is not one DLM accepts (1, 2, 3, 4, 6, 8, 12, 24)`);
    if (!Number.isInteger(opts.retain) || opts.retain < 1 || opts.retain > 1000) throw new Error("DLM retain count must be 1-1000");
    return {
        // DLM takes letters, digits, spaces, '_' and '-' only (CreateLifecyclePolicy Description, lib/awsLimits.ts).
        description: `k8s-aws ${cluster} - etcd slot data volumes every ${opts.everyHours}h - keep ${opts.retain}`,
        state: "ENABLED",
        policyDetails: {
            policyType: "EBS_SNAPSHOT_MANAGEMENT",
            resourceTypes: ["VOLUME"],
            targetTags: { [DLM_TARGET_TAG]: cluster },
            schedules: [
                {
                    name: `every-${opts.everyHours}h`,
                    createRule: { interval: opts.everyHours, intervalUnit: "HOURS", times: "03:00" },
                    retainRule: { count: opts.retain },
                    copyTags: true,
                    // copyTags carries the volume's tags (cluster, slot, role) over.
                    tagsToAdd: { "k8s.io/snapshot-source": "dlm" },
                },
            ],
        },
    };
}
