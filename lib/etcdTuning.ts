/*
 * etcd's timing and quota facts, shared by the renderers (components/host) and the config rules (config/),
 * so they live below both layers.
 */

/**
 * etcd timing for members spread over three zones of one region, shared by
 * the stacked (kubeadm extraArgs) and external (config file) topologies.
 * The aim (issue 23): a new leader within ETCD_FAILOVER_TARGET_MS of the
 * leader's death, and no election while the leader lives.
 *
 * Facts (the rung each stands on in brackets):
 * - Zone-to-zone round trip: AWS puts a region's zones "close enough to use
 *   synchronous replication with single-digit millisecond latency"
 *   (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/availability-zones.html)
 *   [AWS's own statement]; a published ping of every zone pair in every
 *   region found 0.25 ms (ap-south-1) to 3.37 ms (sae1-az2 to sae1-az3),
 *   best of 50 pings (https://www.xkyle.com/Measuring-AWS-Region-and-AZ-Latency/)
 *   [third-party measurement]. AWS's own per-pair figure is Network Manager
 *   Infrastructure Performance, the p50 round trip per 5 minutes
 *   (https://docs.aws.amazon.com/network-manager/latest/infrastructure-performance/how-nmip-works.html)
 *   [rung 4: read it per region before tuning; not available here].
 * - etcd's tuning guide for 3.6 (https://etcd.io/docs/v3.6/tuning/,
 *   etcd-io/website content/en/docs/v3.6/tuning.md): heartbeat about the
 *   round trip (0.5-1.5x), election timeout at least 10x the round trip,
 *   and "each request and response may be impacted by slow disks on both
 *   the leader and follower"; its FAQ (docs/v3.6/faq.md) asks for a WAL
 *   fsync p99 under 10 ms.
 * - etcd 3.6.16 (go.etcd.io/etcd/server/v3@v3.6.16): defaults 100 ms /
 *   1000 ms (embed/config.go NewConfig); refuses an election timeout under
 *   5x the heartbeat or over 50,000 ms (embed/config.go Validate);
 *   CheckQuorum is always on and PreVote defaults to true
 *   (etcdserver/bootstrap.go raftConfig, embed/config.go), one heartbeat
 *   per tick (HeartbeatTick: 1).
 * - The raft it links (go.etcd.io/raft/v3@v3.6.0, pinned by the server's
 *   go.mod): a follower campaigns once it has gone a randomized
 *   [E, 2E - 1 tick] without hearing from the leader (raft.go
 *   resetRandomizedElectionTimeout, tickElection); one that heard from the
 *   leader within E ignores a (pre-)vote request (raft.go Step, inLease).
 * - kops leaves both to etcd's defaults: etcd-manager sets neither
 *   (kubernetes-sigs/etcdadm etcd-manager/pkg/etcd/etcdprocess.go) and kops
 *   refuses to (kubernetes/kops@v1.36.2
 *   pkg/model/components/etcdmanager/model.go "HeartbeatInterval not
 *   supported by etcd-manager"); kubeadm 1.36.4's etcd manifest sets
 *   neither [rung 3: `kubeadm init phase etcd local --dry-run`].
 *
 * Derivation. The network does not bound us: 3.4 ms round trips would
 * allow a 5 ms heartbeat and a 50 ms election timeout. What does is a
 * stalled leader: its raft loop sends no heartbeat while it waits on an
 * EBS fsync or for CPU (steal on t3), and a follower campaigns only after
 * at least E of silence, so E is the stall we ride out. After the leader
 * dies, the first follower campaigns within 2E - 1 tick, and pre-vote plus
 * vote add two round trips with an fsync each (about 2 x (3.4 + 10) ms,
 * inside the spare tick). So the worst case is under 2E, and the 2 s target
 * gives E <= 1000 ms. E = 1000 ms still rides out a stall 100 times etcd's
 * fsync p99 bar; heartbeat E/10 = 100 ms keeps the guide's 1:10 ratio (ten
 * heartbeats per timeout, so one lost or late heartbeat does not trigger an
 * election). That is etcd's default, the setting kubeadm and kops run, so
 * the most widely run one. Measured on the pinned etcd 3.6.16 (BENCHMARKS.md
 * section 4, 26 runs on 2 loaded cores): new leader 0.99-1.93 s; 250 /
 * 2,500 ms gave 2.6-4.7 s (8 runs), 50 / 500 ms 0.66-0.88 s (6 runs).
 * A leader stalled for longer than E still costs an election; where disks
 * or CPU stall that long, raise both values together
 * (cluster.etcd.heartbeatIntervalMs / electionTimeoutMs) and accept the
 * slower failover.
 */
export const ETCD_TUNING = {
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1000,
    /** etcd 3.6's default; kubeadm sets the same for stacked members. */
    snapshotCount: 10000,
    /** 8 GiB: etcd's documented maximum recommended backend quota (default 2 GiB). */
    quotaBackendBytes: 8 * 1024 * 1024 * 1024,
} as const;
export type EtcdTuning = { readonly [K in keyof typeof ETCD_TUNING]: number };

/** A new etcd leader within this long after the leader dies (issue 23). */
export const ETCD_FAILOVER_TARGET_MS = 2000;

/**
 * The longest raft can take to elect a new leader after the leader dies,
 * from the timeouts alone (see ETCD_TUNING): the randomized election
 * timeout is below 2E, and the pre-vote and vote round trips fit in the
 * tick that bound leaves spare. Excludes one unlucky sequence under
 * writes: the follower with the longer log campaigns first and is ignored
 * (the other is still within its lease), then the other's campaign loses
 * on its shorter log; the retry comes a whole randomized timeout after the
 * first campaign (up to 3E).
 */
export function etcdElectionBoundMs(t: Pick<EtcdTuning, "electionTimeoutMs">): number {
    return 2 * t.electionTimeoutMs;
}

/** The two timing values an operator may set (cluster.etcd.heartbeatIntervalMs / electionTimeoutMs). */
export type EtcdTiming = Pick<EtcdTuning, "heartbeatIntervalMs" | "electionTimeoutMs">;

/**
 * etcd 3.6.16's own limits on the timing (go.etcd.io/etcd/server/v3@v3.6.16
 * embed/config.go Validate): both above 0, the election timeout at least 5
 * heartbeats and at most maxElectionMs = 50,000 ms. The config rules report
 * these to the user; the renderers refuse them too.
 */
export const ETCD_TIMING_LIMITS = { minHeartbeatMs: 1, minElectionHeartbeats: 5, maxElectionMs: 50_000 } as const;

export function etcdTimingProblem(t: EtcdTiming): string | undefined {
    const { minHeartbeatMs, minElectionHeartbeats, maxElectionMs } = ETCD_TIMING_LIMITS;
    if (!Number.isInteger(t.heartbeatIntervalMs) || t.heartbeatIntervalMs < minHeartbeatMs) return `heartbeat interval ${t.heartbeatIntervalMs} ms: a whole number of ms, at least ${minHeartbeatMs}`;
    if (!Number.isInteger(t.electionTimeoutMs) || t.electionTimeoutMs > maxElectionMs) return `election timeout ${t.electionTimeoutMs} ms: a whole number of ms, at most ${maxElectionMs}`;
    if (t.electionTimeoutMs < minElectionHeartbeats * t.heartbeatIntervalMs)
        return `election timeout ${t.electionTimeoutMs} ms: at least ${minElectionHeartbeats} x the heartbeat interval (${minElectionHeartbeats * t.heartbeatIntervalMs} ms)`;
    return undefined;
}

/**
 * ETCD_TUNING (or the operator's timing) with the backend quota sized to the
 * slot's data volume: at most 40% of it (the rest holds the WAL, snapshots,
 * a defrag copy and the backup staging file), never above 8 GiB, never below
 * etcd's 2 GiB default.
 */
export function etcdTuningFor(volumeSizeGiB: number, timing: EtcdTiming = ETCD_TUNING): EtcdTuning {
    if (!Number.isInteger(volumeSizeGiB) || volumeSizeGiB < 5) throw new Error(`volumeSizeGiB ${volumeSizeGiB} is too small for etcd`);
    const problem = etcdTimingProblem(timing);
    if (problem) throw new Error(`etcd ${problem}`);
    const gib = 1024 * 1024 * 1024;
    const quota = Math.max(2 * gib, Math.min(ETCD_TUNING.quotaBackendBytes, Math.floor(volumeSizeGiB * 0.4) * gib));
    return { ...ETCD_TUNING, heartbeatIntervalMs: timing.heartbeatIntervalMs, electionTimeoutMs: timing.electionTimeoutMs, quotaBackendBytes: quota };
}
