/**
 * The etcd failover figures the real tiers print and assert, read from the
 * surviving members' own logs as well as from polling: the poller sees a new
 * leader only when an `etcdctl endpoint status` it spawned comes back, which
 * on a loaded machine lags by a poll cycle; raft's log lines carry
 * microsecond timestamps of when a follower started campaigning and when the
 * new leader was elected. Messages of go.etcd.io/raft/v3@v3.6.0 (etcd
 * 3.6.16's raft): raft.go hup "%x is starting a new election at term %d",
 * node.go "raft.node: %x elected leader %x at term %d".
 */
import * as fs from "fs";
import { EtcdTuning, ETCD_FAILOVER_TARGET_MS, etcdElectionBoundMs } from "../../components/host";

/**
 * What a loaded 2-core machine may add to raft's own election time: its
 * ticks are a Go ticker in a process competing for CPU (a starved ticker
 * drops ticks, so the timeout stretches). 2.5 ticks of the default; the
 * slowest election measured was 1.93 s, 70 ms under 2E, at load average 9-11
 * on 2 cores (BENCHMARKS.md section 4).
 */
export const SCHEDULING_MARGIN_MS = 250;

/**
 * What the clients' view may add on top: one poll cycle (spawning etcdctl,
 * its TLS handshake) or one write attempt's round, every 100 ms. The poller
 * lagged raft's log by at most 0.18 s in 26 runs at 100 / 1,000 ms and
 * 0.37 s in the 250 / 2,500 ms comparison runs at load average 15 on 2
 * cores (BENCHMARKS.md section 4, "poller lag"); 600 ms is 1.6 times the
 * worst of those.
 */
export const OBSERVATION_MARGIN_MS = 600;

export interface LoggedElection {
    /** From the kill to the first "is starting a new election" on a survivor. */
    readonly firstCampaignMs: number;
    /** From the kill to the "elected leader" line naming a new leader. */
    readonly electedMs: number;
    readonly leaderHex: string;
    readonly term: number;
}

interface LogLine {
    ts: number;
    msg: string;
}

function linesAfter(file: string, sinceEpochMs: number): LogLine[] {
    const out: LogLine[] = [];
    for (const raw of fs.readFileSync(file, "utf8").split("\n")) {
        if (!raw.startsWith("{")) continue;
        let l: { ts?: string; msg?: string };
        try {
            l = JSON.parse(raw);
        } catch {
            continue;
        }
        const ts = l.ts ? Date.parse(l.ts) : NaN;
        if (Number.isFinite(ts) && ts >= sinceEpochMs && typeof l.msg === "string") out.push({ ts, msg: l.msg });
    }
    return out;
}

/**
 * The election after a kill at killedAtEpochMs (Date.now() just before the
 * signal), from the survivors' logs; undefined until a survivor has logged
 * an elected leader other than oldLeaderHex.
 */
export function loggedElection(survivorLogs: readonly string[], killedAtEpochMs: number, oldLeaderHex: string): LoggedElection | undefined {
    const lines = survivorLogs.flatMap((f) => linesAfter(f, killedAtEpochMs - 1)).sort((a, b) => a.ts - b.ts);
    const campaign = lines.find((l) => / is starting a new election at term \d+/.test(l.msg));
    for (const l of lines) {
        const m = /raft\.node: [0-9a-f]+ elected leader ([0-9a-f]+) at term (\d+)/.exec(l.msg);
        if (m && m[1] !== oldLeaderHex) {
            return { firstCampaignMs: (campaign?.ts ?? l.ts) - killedAtEpochMs, electedMs: l.ts - killedAtEpochMs, leaderHex: m[1], term: Number(m[2]) };
        }
    }
    return undefined;
}

/** Polls the logs for the election (they are written as it happens); throws after timeoutMs. */
export async function waitForLoggedElection(survivorLogs: readonly string[], killedAtEpochMs: number, oldLeaderHex: string, timeoutMs = 5000): Promise<LoggedElection> {
    const until = Date.now() + timeoutMs;
    for (;;) {
        const e = loggedElection(survivorLogs, killedAtEpochMs, oldLeaderHex);
        if (e) return e;
        if (Date.now() > until) throw new Error(`no survivor logged an elected leader other than ${oldLeaderHex} within ${timeoutMs} ms of the poller seeing one`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** etcd prints member ids in hex in its logs and in decimal in `endpoint status -w json`. */
export const hexId = (decimal: string) => BigInt(decimal).toString(16);

/**
 * The failover assertions both real tiers make. The configured timeouts
 * must meet the target (fails at once if they regress, e.g. to 2,500 ms),
 * and the real etcd must keep inside the bound they imply: raft's own
 * election (from the logs) within 2x the election timeout plus
 * SCHEDULING_MARGIN_MS, what a client sees within that plus
 * OBSERVATION_MARGIN_MS (2 x 1,000 + 250 + 600 = 2.85 s by default; the old
 * 2,500 ms fails the target check outright).
 */
export function failoverProblems(t: Pick<EtcdTuning, "electionTimeoutMs" | "heartbeatIntervalMs">, fig: { electedMs: number; polledMs: number; writesBlockedMs: number }): string[] {
    const bound = etcdElectionBoundMs(t);
    const problems: string[] = [];
    const what = `heartbeat ${t.heartbeatIntervalMs} ms, election timeout ${t.electionTimeoutMs} ms`;
    if (bound > ETCD_FAILOVER_TARGET_MS) problems.push(`${what}: a new leader can take up to ${bound} ms, over the ${ETCD_FAILOVER_TARGET_MS} ms target`);
    const raftBound = bound + SCHEDULING_MARGIN_MS;
    if (fig.electedMs > raftBound)
        problems.push(`raft elected a new leader ${Math.round(fig.electedMs)} ms after the kill, over 2 x the election timeout + ${SCHEDULING_MARGIN_MS} ms (${raftBound} ms)`);
    for (const [name, ms] of [
        ["the poller saw a new leader", fig.polledMs],
        ["the first write succeeded", fig.writesBlockedMs],
    ] as const) {
        if (ms > raftBound + OBSERVATION_MARGIN_MS) problems.push(`${name} ${Math.round(ms)} ms after the kill, over ${raftBound} + ${OBSERVATION_MARGIN_MS} ms`);
    }
    return problems;
}
