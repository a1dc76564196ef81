import * as assert from "assert";
import { randomMock } from "../../../tools/mocks/random";
import type { MockContext } from "../../../tools/mocks/types";

const T = {
    string: "random:index/randomString:RandomString",
    password: "random:index/randomPassword:RandomPassword",
    bytes: "random:index/randomBytes:RandomBytes",
    id: "random:index/randomId:RandomId",
    integer: "random:index/randomInteger:RandomInteger",
    uuid: "random:index/randomUuid:RandomUuid",
    pet: "random:index/randomPet:RandomPet",
    shuffle: "random:index/randomShuffle:RandomShuffle",
};
const context = (seed?: string): MockContext => ({ seed, now: new Date("2025-01-15T10:30:00Z"), region: "eu-west-1", accountId: "123456789012", partition: "aws" });

async function create(type: string, name: string, inputs: Record<string, any>, ctx = context()) {
    return randomMock.resources[type]({ type, name, inputs }, ctx);
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

describe("random mock", () => {
    describe("RandomString / RandomPassword", () => {
        it("defaults: all classes, provider state and id", async () => {
            const { id, state } = await create(T.string, "s", { length: 32, keepers: { rotate: "1" } });
            assert.strictEqual(state.result.length, 32);
            assert.strictEqual(id, state.result);
            assert.match(state.result, /^[A-Za-z0-9!@#$%&*()\-_=+[\]{}<>:?]+$/);
            assert.deepStrictEqual(state.keepers, { rotate: "1" });
            for (const k of ["upper", "lower", "numeric", "number", "special"]) {
                assert.strictEqual(state[k], true, k);
            }
            for (const k of ["minUpper", "minLower", "minNumeric", "minSpecial"]) {
                assert.strictEqual(state[k], 0, k);
            }
        });

        it("honours disabled classes and overrideSpecial over many draws", async () => {
            for (let i = 0; i < 200; i++) {
                const { state } = await create(T.string, `s${i}`, { length: 20, upper: false, numeric: false, overrideSpecial: "_." });
                assert.match(state.result, /^[a-z_.]{20}$/);
                const { state: noSpecial } = await create(T.string, `n${i}`, { length: 20, special: false, number: false });
                assert.match(noSpecial.result, /^[A-Za-z]{20}$/);
                assert.strictEqual(noSpecial.numeric, false);
            }
        });

        it("honours every min* count over many draws", async () => {
            for (let i = 0; i < 300; i++) {
                const { state } = await create(T.password, `p${i}`, { length: 12, minUpper: 3, minLower: 2, minNumeric: 4, minSpecial: 3 });
                const r: string = state.result;
                assert.strictEqual(r.length, 12);
                assert.ok(count(r, /[A-Z]/g) >= 3, r);
                assert.ok(count(r, /[a-z]/g) >= 2, r);
                assert.ok(count(r, /[0-9]/g) >= 4, r);
                assert.ok([...r].filter((c) => SPECIAL.includes(c)).length >= 3, r);
            }
        });

        it("draws min* characters even from a disabled class, as the provider does", async () => {
            const { state } = await create(T.string, "s", { length: 10, special: false, minSpecial: 2 });
            assert.strictEqual([...state.result].filter((c: string) => SPECIAL.includes(c)).length, 2);
        });

        it("spreads characters over the whole set", async () => {
            const { state } = await create(T.string, "big", { length: 20000 });
            const distinct = new Set(state.result);
            assert.strictEqual(distinct.size, 26 + 26 + 10 + SPECIAL.length);
        });

        it("RandomPassword: id is 'none', result is secret and no bcrypt hash is faked", async () => {
            const { id, state } = await create(T.password, "p", { length: 16 });
            assert.strictEqual(id, "none");
            assert.strictEqual(state.result.length, 16);
            assert.strictEqual("bcryptHash" in state, false);
            assert.deepStrictEqual(randomMock.secretOutputs[T.password], ["bcryptHash", "result"]);
        });

        it("rejects what the provider rejects", async () => {
            await assert.rejects(async () => create(T.string, "s", { length: 0 }), /length value must be at least 1/);
            await assert.rejects(async () => create(T.string, "s", { length: 3, minUpper: 2, minLower: 2 }), /at least sum of/);
            await assert.rejects(async () => create(T.string, "s", { length: 3, number: true, numeric: false }), /Number and numeric are both configured with different values/);
            await assert.rejects(async () => create(T.string, "s", { length: 3, upper: false, lower: false, numeric: false, special: false }), /At least one attribute/);
        });
    });

    describe("RandomBytes / RandomId", () => {
        it("RandomBytes gives base64 and hex of length bytes, id = base64", async () => {
            const { id, state } = await create(T.bytes, "b", { length: 33 });
            assert.strictEqual(Buffer.from(state.base64, "base64").length, 33);
            assert.strictEqual(state.hex, Buffer.from(state.base64, "base64").toString("hex"));
            assert.strictEqual(id, state.base64);
            assert.deepStrictEqual(randomMock.secretOutputs[T.bytes], ["base64", "hex"]);
        });

        it("RandomId encodes the same bytes five ways, with the prefix on all but the id", async () => {
            const { id, state } = await create(T.id, "i", { byteLength: 8, prefix: "node-" });
            const bytes = Buffer.from(id, "base64url");
            assert.strictEqual(bytes.length, 8);
            assert.doesNotMatch(id, /[=+/]/);
            assert.strictEqual(state.b64Url, `node-${id}`);
            assert.strictEqual(state.b64Std, `node-${bytes.toString("base64")}`);
            assert.strictEqual(state.hex, `node-${bytes.toString("hex")}`);
            assert.strictEqual(state.dec, `node-${BigInt("0x" + bytes.toString("hex")).toString(10)}`);
            await assert.rejects(async () => create(T.id, "i", { byteLength: 0 }), /at least 1/);
        });
    });

    describe("RandomInteger", () => {
        it("stays within [min, max] inclusive and reaches both ends", async () => {
            const seen = new Set<number>();
            for (let i = 0; i < 400; i++) {
                const { id, state } = await create(T.integer, `n${i}`, { min: -2, max: 2 });
                assert.ok(state.result >= -2 && state.result <= 2);
                assert.strictEqual(id, String(state.result));
                seen.add(state.result);
            }
            assert.deepStrictEqual(
                [...seen].sort((a, b) => a - b),
                [-2, -1, 0, 1, 2],
            );
            assert.strictEqual((await create(T.integer, "one", { min: 7, max: 7 })).state.result, 7);
            await assert.rejects(async () => create(T.integer, "bad", { min: 3, max: 2 }), /minimum \(min\) value needs to be smaller/);
        });

        it("its own seed input fixes the value whatever the resource name", async () => {
            const a = await create(T.integer, "a", { min: 0, max: 1_000_000, seed: "az" });
            const b = await create(T.integer, "b", { min: 0, max: 1_000_000, seed: "az" });
            assert.strictEqual(a.state.result, b.state.result);
            assert.strictEqual(a.state.seed, "az");
        });
    });

    describe("RandomUuid / RandomPet / RandomShuffle", () => {
        it("RandomUuid is a version 4 UUID and its own id", async () => {
            const { id, state } = await create(T.uuid, "u", {});
            assert.match(state.result, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
            assert.strictEqual(id, state.result);
        });

        it("RandomPet has length words, the separator and the prefix", async () => {
            const def = await create(T.pet, "p", {});
            assert.match(def.id, /^[a-z]+-[a-z]+$/);
            assert.strictEqual(def.state.length, 2);
            assert.strictEqual(def.state.separator, "-");
            const long = await create(T.pet, "q", { length: 4, separator: "_", prefix: "dev" });
            assert.match(long.id, /^dev_[a-z]+_[a-z]+_[a-z]+_[a-z]+$/);
            assert.match((await create(T.pet, "r", { length: 1 })).id, /^[a-z]+$/);
        });

        it("RandomShuffle permutes, truncates and repeats like the provider", async () => {
            const inputs = ["a", "b", "c", "d", "e"];
            const full = await create(T.shuffle, "s", { inputs });
            assert.strictEqual(full.id, "-");
            assert.deepStrictEqual([...full.state.results].sort(), inputs);
            const some = await create(T.shuffle, "t", { inputs, resultCount: 3 });
            assert.strictEqual(new Set(some.state.results).size, 3);
            const more = await create(T.shuffle, "u", { inputs, resultCount: 12 });
            assert.strictEqual(more.state.results.length, 12);
            assert.deepStrictEqual([...more.state.results.slice(0, 5)].sort(), inputs);
            assert.deepStrictEqual([...more.state.results.slice(5, 10)].sort(), inputs);
            for (const v of inputs) {
                assert.ok(more.state.results.filter((r: string) => r === v).length <= 3);
            }
            const x = await create(T.shuffle, "x", { inputs, seed: "fixed" });
            const y = await create(T.shuffle, "y", { inputs, seed: "fixed" });
            assert.deepStrictEqual(x.state.results, y.state.results);
        });
    });

    describe("determinism", () => {
        const all = async (ctx: MockContext, name: string) =>
            Promise.all([
                create(T.string, name, { length: 24 }, ctx),
                create(T.password, name, { length: 24 }, ctx),
                create(T.bytes, name, { length: 16 }, ctx),
                create(T.id, name, { byteLength: 16 }, ctx),
                create(T.integer, name, { min: 0, max: 1e12 }, ctx),
                create(T.uuid, name, {}, ctx),
                create(T.pet, name, { length: 5 }, ctx),
                create(T.shuffle, name, { inputs: "abcdefghijklmnop".split("") }, ctx),
            ]);

        it("same seed and name give the same values", async () => {
            assert.deepStrictEqual(await all(context("golden"), "db"), await all(context("golden"), "db"));
        });

        it("different names, seeds or no seed give different values", async () => {
            const base = await all(context("golden"), "db");
            for (const other of [await all(context("golden"), "cache"), await all(context("other"), "db"), await all(context(), "db"), await all(context(), "db")]) {
                base.forEach((r, i) => assert.notDeepStrictEqual(r, other[i]));
            }
        });
    });
});
