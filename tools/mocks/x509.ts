/**
 * X.509 certificates and PKCS#10 requests laid out the way Go's crypto/x509 writes them
 * (extension order, Name encoding, SAN criticality), which is what terraform-provider-tls uses.
 * Names, key usage and parsing go through @peculiar/asn1-*; the outer TBS/CRI structures are
 * assembled with the small DER writer so that copied bytes (issuer, public key) stay exact.
 */
import * as crypto from "crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1x509 from "@peculiar/asn1-x509";
import * as asn1csr from "@peculiar/asn1-csr";
import { children, content, derOid, pemDecode, pemEncode, raw, readTlv, tlv, unsignedIntegerContent } from "./der";
import { sign, signatureAlgorithm } from "./keys";

const OID = { extensionRequest: "1.2.840.113549.1.9.14" };
const EXT = { keyUsage: "2.5.29.15", extKeyUsage: "2.5.29.37", basicConstraints: "2.5.29.19", ski: "2.5.29.14", aki: "2.5.29.35", san: "2.5.29.17" };

export interface AltNames {
    dnsNames: string[];
    ipAddresses: Buffer[];
    uris: string[];
}

function ia5(value: string): Buffer {
    // eslint-disable-next-line no-control-regex -- IA5String is 7-bit ASCII, NUL included
    if (!/^[\x00-\x7f]*$/.test(value)) {
        throw new Error(`x509: ${JSON.stringify(value)} cannot be encoded as an IA5String`);
    }
    return Buffer.from(value, "latin1");
}

/** marshalSANs order: DNS names, (emails), IP addresses, URIs. */
function sanValue(alt: AltNames): Buffer {
    return tlv(0x30, ...alt.dnsNames.map((d) => tlv(0x82, ia5(d))), ...alt.ipAddresses.map((ip) => tlv(0x87, ip)), ...alt.uris.map((u) => tlv(0x86, ia5(u))));
}

const hasAltNames = (alt: AltNames) => alt.dnsNames.length + alt.ipAddresses.length + alt.uris.length > 0;

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
    return tlv(0x30, derOid(oid), critical ? tlv(0x01, Buffer.from([0xff])) : Buffer.alloc(0), tlv(0x04, value));
}

function algorithmIdentifier(oid: string, nullParams: boolean): Buffer {
    return tlv(0x30, derOid(oid), nullParams ? Buffer.from([0x05, 0x00]) : Buffer.alloc(0));
}

/** UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280 / Go); sub-second precision is dropped. */
function encodeTime(d: Date): Buffer {
    const iso = d.toISOString();
    const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
    const year = d.getUTCFullYear();
    return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2) + "Z", "ascii")) : tlv(0x18, Buffer.from(digits + "Z", "ascii"));
}

export interface CertificateSpec {
    serial: bigint;
    issuerDer: Buffer;
    subjectDer: Buffer;
    notBefore: Date;
    notAfter: Date;
    spkiDer: Buffer;
    keyUsage: number;
    extKeyUsage: string[];
    isCA: boolean;
    /** -1 leaves pathLenConstraint out. */
    maxPathLen: number;
    subjectKeyId?: Buffer;
    authorityKeyId?: Buffer;
    altNames: AltNames;
    signer: crypto.KeyObject;
}

/** x509.CreateCertificate: v3, Go's extension order (KU, EKU, BC, SKI, AKI, SAN). Returns PEM. */
export function createCertificate(spec: CertificateSpec): string {
    const exts: Buffer[] = [];
    if (spec.keyUsage) {
        exts.push(extension(EXT.keyUsage, true, Buffer.from(AsnConvert.serialize(new asn1x509.KeyUsage(spec.keyUsage)))));
    }
    if (spec.extKeyUsage.length) {
        exts.push(extension(EXT.extKeyUsage, false, tlv(0x30, ...spec.extKeyUsage.map(derOid))));
    }
    exts.push(
        extension(
            EXT.basicConstraints,
            true,
            tlv(0x30, spec.isCA ? tlv(0x01, Buffer.from([0xff])) : Buffer.alloc(0), spec.maxPathLen >= 0 ? tlv(0x02, unsignedIntegerContent(BigInt(spec.maxPathLen))) : Buffer.alloc(0)),
        ),
    );
    if (spec.subjectKeyId?.length) {
        exts.push(extension(EXT.ski, false, tlv(0x04, spec.subjectKeyId)));
    }
    if (spec.authorityKeyId?.length) {
        exts.push(extension(EXT.aki, false, tlv(0x30, tlv(0x80, spec.authorityKeyId))));
    }
    if (hasAltNames(spec.altNames)) {
        // SAN is critical only when the subject is empty (RFC 5280 4.2.1.6).
        exts.push(extension(EXT.san, spec.subjectDer.equals(Buffer.from([0x30, 0x00])), sanValue(spec.altNames)));
    }
    const alg = signatureAlgorithm(spec.signer);
    const sigAlg = algorithmIdentifier(alg.algorithmOid, alg.nullParams);
    const tbs = tlv(
        0x30,
        tlv(0xa0, tlv(0x02, Buffer.from([2]))),
        tlv(0x02, unsignedIntegerContent(spec.serial)),
        sigAlg,
        spec.issuerDer,
        tlv(0x30, encodeTime(spec.notBefore), encodeTime(spec.notAfter)),
        spec.subjectDer,
        spec.spkiDer,
        tlv(0xa3, tlv(0x30, ...exts)),
    );
    return pemEncode("CERTIFICATE", tlv(0x30, tbs, sigAlg, tlv(0x03, Buffer.from([0]), sign(spec.signer, tbs))));
}

/** x509.CreateCertificateRequest: SANs (non-critical) in an extensionRequest attribute. Returns DER. */
export function createCertificateRequest(subjectDer: Buffer, signer: crypto.KeyObject, altNames: AltNames): Buffer {
    const attributes = hasAltNames(altNames) ? tlv(0x30, derOid(OID.extensionRequest), tlv(0x31, tlv(0x30, extension(EXT.san, false, sanValue(altNames))))) : Buffer.alloc(0);
    const spki = crypto.createPublicKey(signer).export({ format: "der", type: "spki" });
    const info = tlv(0x30, tlv(0x02, Buffer.from([0])), subjectDer, spki, tlv(0xa0, attributes));
    const alg = signatureAlgorithm(signer);
    return tlv(0x30, info, algorithmIdentifier(alg.algorithmOid, alg.nullParams), tlv(0x03, Buffer.from([0]), sign(signer, info)));
}

function decodeTyped(text: string, type: string): Buffer {
    const block = pemDecode(text);
    if (!block) {
        throw new Error(`failed to decode PEM of expected type "${type}" from bytes`);
    }
    if (block.type !== type) {
        throw new Error(`invalid PEM type - expected "${type}", got "${block.type}"`);
    }
    return block.der;
}

/** SANs from a GeneralNames value; other name forms (and emails) are not carried over, as in the provider. */
function parseSan(value: Buffer): AltNames {
    const alt: AltNames = { dnsNames: [], ipAddresses: [], uris: [] };
    for (const gn of children(value, readTlv(value, 0))) {
        const v = content(value, gn);
        if (gn.tag === 0x82) {
            alt.dnsNames.push(v.toString("latin1"));
        } else if (gn.tag === 0x87) {
            if (v.length !== 4 && v.length !== 16) {
                throw new Error(`x509: cannot parse IP address of length ${v.length}`);
            }
            alt.ipAddresses.push(v);
        } else if (gn.tag === 0x86) {
            alt.uris.push(v.toString("latin1"));
        }
    }
    return alt;
}

export interface ParsedRequest {
    subjectDer: Buffer;
    spkiDer: Buffer;
    altNames: AltNames;
}

/** x509.ParseCertificateRequest (the provider does not check the request's signature either). */
export function parseCertificateRequest(text: string): ParsedRequest {
    const der = decodeTyped(text, "CERTIFICATE REQUEST");
    try {
        const req = AsnConvert.parse(der, asn1csr.CertificationRequest);
        const info = children(der, readTlv(der, 0))[0];
        const [, subject, spki] = children(der, info);
        let altNames: AltNames = { dnsNames: [], ipAddresses: [], uris: [] };
        for (const attr of req.certificationRequestInfo.attributes ?? []) {
            if (attr.type !== OID.extensionRequest) {
                continue;
            }
            for (const value of attr.values) {
                for (const ext of AsnConvert.parse(value, asn1x509.Extensions)) {
                    if (ext.extnID === EXT.san) {
                        altNames = parseSan(Buffer.from(ext.extnValue.buffer));
                    }
                }
            }
        }
        return { subjectDer: raw(der, subject), spkiDer: raw(der, spki), altNames };
    } catch (e) {
        throw new Error(`failed to parse certificate request: ${(e as Error).message}`, { cause: e });
    }
}

export interface ParsedCertificate {
    subjectDer: Buffer;
    spkiDer: Buffer;
    subjectKeyId?: Buffer;
    isCA: boolean;
}

export function parseCertificate(text: string): ParsedCertificate {
    const der = decodeTyped(text, "CERTIFICATE");
    try {
        const cert = AsnConvert.parse(der, asn1x509.Certificate);
        const tbsFields = children(der, children(der, readTlv(der, 0))[0]);
        const offset = tbsFields[0].tag === 0xa0 ? 1 : 0;
        const exts = cert.tbsCertificate.extensions ?? [];
        const ski = exts.find((e) => e.extnID === EXT.ski);
        const bc = exts.find((e) => e.extnID === EXT.basicConstraints);
        return {
            subjectDer: raw(der, tbsFields[offset + 4]),
            spkiDer: raw(der, tbsFields[offset + 5]),
            subjectKeyId: ski ? Buffer.from(AsnConvert.parse(ski.extnValue.buffer, asn1x509.SubjectKeyIdentifier).buffer) : undefined,
            isCA: bc ? AsnConvert.parse(bc.extnValue.buffer, asn1x509.BasicConstraints).cA : false,
        };
    } catch (e) {
        throw new Error(`failed to parse certificate: ${(e as Error).message}`, { cause: e });
    }
}
