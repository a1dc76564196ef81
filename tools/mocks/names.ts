/**
 * Distinguished names as Go's crypto/x509/pkix builds and reads them (attribute order,
 * string types, multi-valued RDNs), plus net.ParseIP for SAN addresses.
 */
import * as net from "net";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asn1x509 from "@peculiar/asn1-x509";

/** The provider's `subject` block (SDK camelCase names). */
export interface SubjectInput {
    commonName?: string;
    country?: string;
    emailAddress?: string;
    locality?: string;
    organization?: string;
    organizationalUnit?: string;
    postalCode?: string;
    province?: string;
    serialNumber?: string;
    streetAddresses?: string[];
}

/** Go's pkix.Name: multi-valued attributes plus the few single-valued ones. */
export interface NameFields {
    country: string[];
    province: string[];
    locality: string[];
    streetAddress: string[];
    postalCode: string[];
    organization: string[];
    organizationalUnit: string[];
    commonName: string;
    serialNumber: string;
    extra: { oid: string; value: string }[];
}

const OID = {
    C: "2.5.4.6",
    ST: "2.5.4.8",
    L: "2.5.4.7",
    STREET: "2.5.4.9",
    PC: "2.5.4.17",
    O: "2.5.4.10",
    OU: "2.5.4.11",
    CN: "2.5.4.3",
    SERIALNUMBER: "2.5.4.5",
    EMAIL: "1.2.840.113549.1.9.1",
};

export function emptyFields(): NameFields {
    return { country: [], province: [], locality: [], streetAddress: [], postalCode: [], organization: [], organizationalUnit: [], commonName: "", serialNumber: "", extra: [] };
}

export function isEmptyName(f: NameFields): boolean {
    return (
        !f.commonName &&
        !f.serialNumber &&
        f.extra.length === 0 &&
        [f.country, f.province, f.locality, f.streetAddress, f.postalCode, f.organization, f.organizationalUnit].every((v) => v.length === 0)
    );
}

/** The provider's createSubjectDistinguishedNames (emailAddress goes last, as an extra attribute). */
export function fieldsFromSubject(s: SubjectInput | undefined): NameFields {
    const f = emptyFields();
    if (!s) {
        return f;
    }
    const one = (v: string | undefined) => (v === undefined || v === null ? [] : [v]);
    f.commonName = s.commonName ?? "";
    f.organization = one(s.organization);
    f.organizationalUnit = one(s.organizationalUnit);
    f.streetAddress = [...(s.streetAddresses ?? [])];
    f.locality = one(s.locality);
    f.province = one(s.province);
    f.country = one(s.country);
    f.postalCode = one(s.postalCode);
    f.serialNumber = s.serialNumber ?? "";
    if (s.emailAddress) {
        f.extra.push({ oid: OID.EMAIL, value: s.emailAddress });
    }
    return f;
}

/** Go's asn1 string choice: PrintableString when every character allows it, else UTF8String. */
function directoryString(value: string): asn1x509.AttributeValue {
    return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? new asn1x509.AttributeValue({ printableString: value }) : new asn1x509.AttributeValue({ utf8String: value });
}

/** pkix.Name.ToRDNSequence: fixed attribute order, one (DER-sorted) RDN per attribute type. */
export function encodeName(f: NameFields): Buffer {
    const rdns: asn1x509.RelativeDistinguishedName[] = [];
    const add = (oid: string, values: string[]) => {
        if (values.length === 0) {
            return;
        }
        const atvs = values.map((v) => new asn1x509.AttributeTypeAndValue({ type: oid, value: directoryString(v) }));
        const der = (a: asn1x509.AttributeTypeAndValue) => Buffer.from(AsnConvert.serialize(a));
        atvs.sort((a, b) => Buffer.compare(der(a), der(b)));
        rdns.push(new asn1x509.RelativeDistinguishedName(atvs));
    };
    add(OID.C, f.country);
    add(OID.ST, f.province);
    add(OID.L, f.locality);
    add(OID.STREET, f.streetAddress);
    add(OID.PC, f.postalCode);
    add(OID.O, f.organization);
    add(OID.OU, f.organizationalUnit);
    add(OID.CN, f.commonName ? [f.commonName] : []);
    add(OID.SERIALNUMBER, f.serialNumber ? [f.serialNumber] : []);
    for (const e of f.extra) {
        rdns.push(new asn1x509.RelativeDistinguishedName([new asn1x509.AttributeTypeAndValue({ type: e.oid, value: new asn1x509.AttributeValue({ ia5String: e.value }) })]));
    }
    return Buffer.from(AsnConvert.serialize(new asn1x509.Name(rdns)));
}

/** pkix.Name.FillFromRDNSequence: known attributes only; anything else (e.g. emailAddress) is not carried over. */
export function fieldsFromName(nameDer: Buffer): NameFields {
    const f = emptyFields();
    const name = AsnConvert.parse(nameDer, asn1x509.Name);
    const lists: Record<string, string[]> = {
        [OID.C]: f.country,
        [OID.ST]: f.province,
        [OID.L]: f.locality,
        [OID.STREET]: f.streetAddress,
        [OID.PC]: f.postalCode,
        [OID.O]: f.organization,
        [OID.OU]: f.organizationalUnit,
    };
    for (const rdn of name) {
        for (const atv of rdn) {
            const value = atv.value.anyValue ? undefined : atv.value.toString();
            if (value === undefined) {
                continue;
            }
            if (atv.type === OID.CN) {
                f.commonName = value;
            } else if (atv.type === OID.SERIALNUMBER) {
                f.serialNumber = value;
            } else if (lists[atv.type]) {
                lists[atv.type].push(value);
            }
        }
    }
    return f;
}

/** net.ParseIP semantics: IPv4 gives 4 bytes (also IPv4-mapped IPv6, like Go's To4), IPv6 gives 16; undefined if invalid. */
export function parseIp(text: string): Buffer | undefined {
    const kind = net.isIP(text);
    if (kind === 4) {
        return Buffer.from(text.split(".").map(Number));
    }
    if (kind !== 6 || text.includes("%")) {
        return undefined;
    }
    const groups = (part: string): number[] => {
        if (!part) {
            return [];
        }
        return part.split(":").flatMap((g) => {
            if (g.includes(".")) {
                const [a, b, c, d] = g.split(".").map(Number);
                return [(a << 8) | b, (c << 8) | d];
            }
            return [parseInt(g, 16)];
        });
    };
    const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
    const h = groups(head);
    const t = tail === undefined ? [] : groups(tail);
    const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
    const bytes = Buffer.alloc(16);
    all.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
    return to4(bytes);
}

/** Go's net.IP.To4: IPv4-mapped IPv6 addresses become their 4-byte form. */
export function to4(ip: Buffer): Buffer {
    const mapped = ip.length === 16 && ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
    return mapped ? Buffer.from(ip.subarray(12)) : ip;
}
