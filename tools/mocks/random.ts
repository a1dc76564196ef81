/**
 * Mock of the @pulumi/random 4.21.2 provider (terraform-provider-random): real random values
 * that follow each resource's rules, with the provider's defaults, IDs and validation errors.
 * Values derive from ctx.seed + resource type + name when a seed is set (golden runs), and from
 * the OS CSPRNG otherwise. A resource's own `seed` input (RandomInteger, RandomShuffle) makes the
 * value depend on that seed alone, as in the provider — though not on Go's math/rand sequence,
 * so the numbers differ from what the real provider picks for the same seed.
 *
 * RandomPassword.bcryptHash is not produced: no bcrypt implementation is installed and a fake
 * hash would not verify.
 */
import { ByteStream, resourceLabel, seededStream } from "./deterministic";
import type { MockContext, MockResourceRequest, MockResourceResult, ProviderMock } from "./types";

const TOKENS = {
    string: "random:index/randomString:RandomString",
    password: "random:index/randomPassword:RandomPassword",
    bytes: "random:index/randomBytes:RandomBytes",
    id: "random:index/randomId:RandomId",
    integer: "random:index/randomInteger:RandomInteger",
    uuid: "random:index/randomUuid:RandomUuid",
    pet: "random:index/randomPet:RandomPet",
    shuffle: "random:index/randomShuffle:RandomShuffle",
} as const;

const NUM_CHARS = "0123456789";
const LOWER_CHARS = "abcdefghijklmnopqrstuvwxyz";
const UPPER_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SPECIAL_CHARS = "!@#$%&*()-_=+[]{}<>:?";

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

function int(inputs: Record<string, any>, attr: string, def?: number, min?: number): number {
    const v = inputs[attr] ?? def;
    if (v === undefined) {
        throw new Error(`Missing required argument: The argument "${snake(attr)}" is required, but no definition was found.`);
    }
    if (typeof v !== "number" || !Number.isSafeInteger(v)) {
        throw new Error(`Incorrect attribute value type: Attribute ${snake(attr)} must be a whole number, got: ${JSON.stringify(v)}`);
    }
    if (min !== undefined && v < min) {
        throw new Error(`Invalid Attribute Value: Attribute ${snake(attr)} value must be at least ${min}, got: ${v}`);
    }
    return v;
}

const stream = (ctx: MockContext, req: MockResourceRequest, purpose: string) => seededStream(ctx, resourceLabel(req.type, req.name, purpose));

/** A resource `seed` input seeds the draw by itself (same seed, same value), as the provider's NewRand does. */
const resourceSeedStream = (seed: string) => new ByteStream("terraform-provider-random/seed", seed);

/** Shared by RandomString and RandomPassword: the provider's defaults, validators and CreateString. */
function randomString(req: MockResourceRequest, ctx: MockContext): Record<string, any> {
    const inputs = req.inputs;
    const mins = {
        minUpper: int(inputs, "minUpper", 0, 0),
        minLower: int(inputs, "minLower", 0, 0),
        minNumeric: int(inputs, "minNumeric", 0, 0),
        minSpecial: int(inputs, "minSpecial", 0, 0),
    };
    const length = int(inputs, "length", undefined, 1);
    const sum = mins.minUpper + mins.minLower + mins.minNumeric + mins.minSpecial;
    if (length < sum) {
        throw new Error(`Invalid Attribute Value: Attribute length value must be at least sum of [min_upper,min_lower,min_numeric,min_special], got: ${length}`);
    }
    // `number` is the deprecated alias of `numeric`; the provider keeps them in sync.
    if (inputs.number !== undefined && inputs.numeric !== undefined && inputs.number !== inputs.numeric) {
        throw new Error("Number and numeric are both configured with different values: Number is deprecated, use numeric instead");
    }
    const numeric: boolean = inputs.numeric ?? inputs.number ?? true;
    const upper: boolean = inputs.upper ?? true;
    const lower: boolean = inputs.lower ?? true;
    const special: boolean = inputs.special ?? true;
    if (!upper && !lower && !numeric && !special) {
        throw new Error("Invalid Attribute Combination: At least one attribute out of [special,upper,lower,numeric] must be specified as true");
    }
    const specialChars = inputs.overrideSpecial ? String(inputs.overrideSpecial) : SPECIAL_CHARS;
    const chars = (upper ? UPPER_CHARS : "") + (lower ? LOWER_CHARS : "") + (numeric ? NUM_CHARS : "") + (special ? specialChars : "");
    const s = stream(ctx, req, "result");
    const pick = (set: string, n: number) => {
        const options = Array.from(set);
        if (n > 0 && options.length === 0) {
            throw new Error("Create Random String Error: no characters to choose from");
        }
        return Array.from({ length: n }, () => options[s.int(options.length)]);
    };
    // As in the provider, the minimums draw from their class even when that class is disabled.
    const result = [...pick(NUM_CHARS, mins.minNumeric), ...pick(LOWER_CHARS, mins.minLower), ...pick(UPPER_CHARS, mins.minUpper), ...pick(specialChars, mins.minSpecial)];
    result.push(...pick(chars, length - result.length));
    return {
        ...inputs,
        ...mins,
        length,
        upper,
        lower,
        special,
        numeric,
        number: numeric,
        result: s.shuffle(result).join(""),
    };
}

function integer(req: MockResourceRequest, ctx: MockContext): MockResourceResult {
    const min = int(req.inputs, "min");
    const max = int(req.inputs, "max");
    if (max < min) {
        throw new Error("Create Random Integer Error: The minimum (min) value needs to be smaller than or equal to maximum (max) value.");
    }
    const seed = req.inputs.seed ? String(req.inputs.seed) : undefined;
    const s = seed ? resourceSeedStream(seed) : stream(ctx, req, "result");
    const result = min + Number(s.below(BigInt(max) - BigInt(min) + 1n));
    return { id: String(result), state: { ...req.inputs, min, max, result } };
}

function shuffle(req: MockResourceRequest, ctx: MockContext): MockResourceResult {
    if (!Array.isArray(req.inputs.inputs)) {
        throw new Error(`Missing required argument: The argument "input" is required, but no definition was found.`);
    }
    const items: string[] = req.inputs.inputs.map(String);
    const configured = req.inputs.resultCount;
    const resultCount = configured ? int(req.inputs, "resultCount", undefined, 0) : items.length;
    const seed = req.inputs.seed ? String(req.inputs.seed) : undefined;
    const s = seed ? resourceSeedStream(seed) : stream(ctx, req, "result");
    // Whole permutations are concatenated until resultCount is reached, so items repeat evenly.
    const results: string[] = [];
    while (items.length > 0 && results.length < resultCount) {
        for (const i of s.shuffle(items.map((_, idx) => idx))) {
            results.push(items[i]);
            if (results.length >= resultCount) {
                break;
            }
        }
    }
    const state: Record<string, any> = { ...req.inputs, inputs: items, results };
    if (configured !== undefined && configured !== null) {
        state.resultCount = resultCount;
    }
    return { id: "-", state };
}

const ADVERBS = [
    "abnormally",
    "actually",
    "badly",
    "barely",
    "boldly",
    "briefly",
    "calmly",
    "carefully",
    "certainly",
    "cheaply",
    "closely",
    "correctly",
    "deeply",
    "eagerly",
    "easily",
    "evenly",
    "exactly",
    "fairly",
    "firmly",
    "freely",
    "gently",
    "gladly",
    "greatly",
    "happily",
    "highly",
    "honestly",
    "jointly",
    "kindly",
    "largely",
    "lightly",
    "loudly",
    "mainly",
    "merely",
    "mildly",
    "neatly",
    "nicely",
    "openly",
    "partly",
    "politely",
    "promptly",
    "quickly",
    "quietly",
    "rapidly",
    "rarely",
    "really",
    "safely",
    "sharply",
    "simply",
    "slowly",
    "smoothly",
    "solely",
    "strongly",
    "surely",
    "swiftly",
    "truly",
    "usually",
    "vastly",
    "warmly",
    "wholly",
    "wildly",
];
const ADJECTIVES = [
    "able",
    "active",
    "amazed",
    "ample",
    "apt",
    "awake",
    "big",
    "bold",
    "brave",
    "bright",
    "brief",
    "busy",
    "calm",
    "caring",
    "casual",
    "clean",
    "clever",
    "close",
    "cool",
    "cosmic",
    "crisp",
    "curious",
    "daring",
    "decent",
    "divine",
    "eager",
    "easy",
    "epic",
    "exact",
    "fair",
    "famous",
    "fancy",
    "fast",
    "fine",
    "firm",
    "fit",
    "fluent",
    "fond",
    "free",
    "fresh",
    "full",
    "game",
    "gentle",
    "giving",
    "glad",
    "golden",
    "good",
    "grand",
    "great",
    "happy",
    "hardy",
    "helpful",
    "heroic",
    "honest",
    "humble",
    "ideal",
    "innocent",
    "joint",
    "just",
    "keen",
    "kind",
    "known",
    "large",
    "legal",
    "lenient",
    "liberal",
    "light",
    "live",
    "loved",
    "loyal",
    "lucky",
    "magnetic",
    "main",
    "major",
    "merry",
    "modern",
    "moral",
    "native",
    "neat",
    "new",
    "nice",
    "noble",
    "normal",
    "open",
    "optimal",
    "patient",
    "perfect",
    "pleasant",
    "polite",
    "precious",
    "present",
    "pretty",
    "proper",
    "proud",
    "quick",
    "quiet",
    "rapid",
    "rare",
    "ready",
    "real",
    "relaxed",
    "renewed",
    "rich",
    "robust",
    "safe",
    "saving",
    "secure",
    "sharp",
    "shining",
    "simple",
    "smart",
    "smooth",
    "social",
    "solid",
    "special",
    "stable",
    "steady",
    "strong",
    "sunny",
    "super",
    "sure",
    "sweet",
    "swift",
    "tender",
    "tidy",
    "tight",
    "top",
    "true",
    "trusty",
    "united",
    "up",
    "usable",
    "valid",
    "vast",
    "vital",
    "warm",
    "welcome",
    "well",
    "whole",
    "wise",
    "witty",
    "worthy",
];
const NAMES = [
    "aardvark",
    "alpaca",
    "anchovy",
    "ant",
    "antelope",
    "ape",
    "baboon",
    "badger",
    "bass",
    "bat",
    "bear",
    "beaver",
    "bee",
    "beetle",
    "bengal",
    "bird",
    "bison",
    "boa",
    "bobcat",
    "buck",
    "buffalo",
    "bull",
    "bunny",
    "calf",
    "camel",
    "cardinal",
    "cat",
    "catfish",
    "cattle",
    "chicken",
    "chimp",
    "chipmunk",
    "clam",
    "cobra",
    "cod",
    "colt",
    "condor",
    "coral",
    "cow",
    "coyote",
    "crab",
    "crane",
    "crow",
    "deer",
    "dingo",
    "dodo",
    "doe",
    "dog",
    "dolphin",
    "donkey",
    "dove",
    "dragon",
    "duck",
    "eagle",
    "eel",
    "egret",
    "elk",
    "emu",
    "falcon",
    "ferret",
    "finch",
    "fish",
    "flamingo",
    "fly",
    "foal",
    "fox",
    "frog",
    "gannet",
    "gator",
    "gazelle",
    "gecko",
    "gibbon",
    "giraffe",
    "gnu",
    "goat",
    "goose",
    "gopher",
    "gorilla",
    "grouse",
    "gull",
    "hare",
    "hawk",
    "hen",
    "heron",
    "hippo",
    "horse",
    "hound",
    "husky",
    "ibex",
    "iguana",
    "impala",
    "jackal",
    "jaguar",
    "jay",
    "kid",
    "kit",
    "kite",
    "kiwi",
    "koala",
    "krill",
    "lamb",
    "lark",
    "lemming",
    "lemur",
    "leopard",
    "lion",
    "lizard",
    "llama",
    "lobster",
    "lynx",
    "macaw",
    "mako",
    "mammal",
    "manatee",
    "mantis",
    "marlin",
    "marmot",
    "mink",
    "mole",
    "mollusk",
    "monkey",
    "moose",
    "moth",
    "mouse",
    "mule",
    "mustang",
    "newt",
    "ocelot",
    "octopus",
    "orca",
    "oriole",
    "osprey",
    "ostrich",
    "otter",
    "owl",
    "ox",
    "panda",
    "panther",
    "parrot",
    "pelican",
    "penguin",
    "pig",
    "pigeon",
    "piglet",
    "pony",
    "poodle",
    "porpoise",
    "possum",
    "puma",
    "quail",
    "rabbit",
    "raccoon",
    "ram",
    "raven",
    "redbird",
    "reindeer",
    "rhino",
    "robin",
    "rooster",
    "salmon",
    "seal",
    "shark",
    "sheep",
    "shrew",
    "skink",
    "skunk",
    "sloth",
    "slug",
    "snail",
    "snake",
    "snipe",
    "sparrow",
    "squid",
    "squirrel",
    "stag",
    "starfish",
    "stork",
    "sunbeam",
    "swan",
    "tapir",
    "termite",
    "tiger",
    "toad",
    "trout",
    "tuna",
    "turkey",
    "turtle",
    "unicorn",
    "urchin",
    "viper",
    "vulture",
    "wahoo",
    "walrus",
    "wasp",
    "weasel",
    "whale",
    "wolf",
    "wombat",
    "worm",
    "wren",
    "yak",
    "zebra",
];

/** golang-petname's Generate: (length-2) adverbs, an adjective, then a name. */
function pet(req: MockResourceRequest, ctx: MockContext): MockResourceResult {
    const length = int(req.inputs, "length", 2, 1);
    const separator = req.inputs.separator ?? "-";
    const s = stream(ctx, req, "id");
    const pick = (words: string[]) => words[s.int(words.length)];
    const words = length === 1 ? [pick(NAMES)] : [...Array.from({ length: length - 2 }, () => pick(ADVERBS)), pick(ADJECTIVES), pick(NAMES)];
    const name = words.join(separator);
    const id = req.inputs.prefix ? `${req.inputs.prefix}${separator}${name}` : name;
    return { id, state: { ...req.inputs, length, separator } };
}

export const randomMock: ProviderMock = {
    resources: {
        // The id IS the value: plain text in state whatever additionalSecretOutputs says
        // (hashicorp/terraform-provider-random@f8d869dc98d9, the commit pulumi-random 4.21.x pins:
        // internal/provider/resource_string.go:78 `plan.ID = types.StringValue(string(result))`).
        [TOKENS.string]: (req, ctx) => {
            const state = randomString(req, ctx);
            return { id: state.result, state };
        },
        // resource_password.go:86 `plan.ID = types.StringValue("none")`; result and bcrypt_hash are secret outputs.
        [TOKENS.password]: (req, ctx) => ({ id: "none", state: randomString(req, ctx) }),
        [TOKENS.bytes]: (req, ctx) => {
            const bytes = stream(ctx, req, "result").bytes(int(req.inputs, "length", undefined, 1));
            // The Pulumi bridge uses the base64 value as the ID (computeRandomBytesID).
            const base64 = bytes.toString("base64");
            return { id: base64, state: { ...req.inputs, base64, hex: bytes.toString("hex") } };
        },
        [TOKENS.id]: (req, ctx) => {
            const bytes = stream(ctx, req, "result").bytes(int(req.inputs, "byteLength", undefined, 1));
            const prefix = req.inputs.prefix ?? "";
            const id = bytes.toString("base64url");
            const dec = bytes.length ? BigInt("0x" + bytes.toString("hex")).toString(10) : "0";
            return {
                id,
                state: {
                    ...req.inputs,
                    b64Url: prefix + id,
                    b64Std: prefix + bytes.toString("base64"),
                    hex: prefix + bytes.toString("hex"),
                    dec: prefix + dec,
                },
            };
        },
        [TOKENS.integer]: integer,
        [TOKENS.uuid]: (req, ctx) => {
            const b = stream(ctx, req, "result").bytes(16);
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            const h = b.toString("hex");
            const result = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
            return { id: result, state: { ...req.inputs, result } };
        },
        [TOKENS.pet]: pet,
        [TOKENS.shuffle]: shuffle,
    },
    calls: {},
    secretOutputs: {
        [TOKENS.bytes]: ["base64", "hex"],
        [TOKENS.password]: ["bcryptHash", "result"],
    },
};
