/** The tests' user-data decoder reads what EC2 and cloud-init read, gzip or not. */
import * as assert from "assert";
import { gzipSync } from "zlib";
import { encodeUserData } from "../../components/host/userData";
import { decodeUserData, readUserData, reencodeUserDataLike } from "./userData";

const CC = "#cloud-config\nwrite_files:\n  - path: /etc/x\n    content: |\n      hello\n";

describe("test support: user-data decoder", () => {
    it("reads plain base64 and gzip inside base64", () => {
        assert.deepStrictEqual(readUserData(Buffer.from(CC).toString("base64")), { text: CC, gzipped: false, bytes: Buffer.byteLength(CC) });
        const gz = gzipSync(CC);
        assert.deepStrictEqual(readUserData(gz.toString("base64")), { text: CC, gzipped: true, bytes: gz.length });
    });

    it("reads back what the program's encoder writes", () => {
        const encoded = encodeUserData(CC);
        assert.strictEqual(decodeUserData(encoded), CC);
    });

    it("re-encodes an edit the way the original was encoded", () => {
        const gz = gzipSync(CC).toString("base64");
        assert.ok(readUserData(reencodeUserDataLike(gz, `${CC}# edited\n`)).gzipped);
        assert.strictEqual(decodeUserData(reencodeUserDataLike(gz, `${CC}# edited\n`)), `${CC}# edited\n`);
        assert.strictEqual(reencodeUserDataLike(Buffer.from(CC).toString("base64"), "x"), Buffer.from("x").toString("base64"));
    });

    it("refuses user data that is not a plain string (a secret, an unresolved output)", () => {
        assert.throws(() => decodeUserData({ secret: "x" }), /not a plain string/);
    });
});
