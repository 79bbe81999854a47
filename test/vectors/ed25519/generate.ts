/**
 * Writes rfc8032.json (RFC 8032 §7.1 vectors, typed from the RFC and
 * checked here against @noble/ed25519) and strict.json (inputs a strict
 * verifier must reject). Independent of src/: uses noble directly.
 *
 *   bun test/vectors/ed25519/generate.ts
 */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { writeFileSync } from "node:fs";

ed.hashes.sha512 = sha512;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const le = (b: Uint8Array) => BigInt("0x" + hex(Uint8Array.from(b).reverse() || "0"));
const toLe32 = (n: bigint) => unhex(n.toString(16).padStart(64, "0")).reverse();

const MSG_1024 = "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98" +
  "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8" +
  "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d" +
  "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc" +
  "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe" +
  "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e" +
  "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef" +
  "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7" +
  "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1" +
  "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2" +
  "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24" +
  "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270" +
  "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc" +
  "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07" +
  "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba" +
  "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a" +
  "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e" +
  "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7" +
  "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c" +
  "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8" +
  "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df" +
  "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08" +
  "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649" +
  "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4" +
  "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3" +
  "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e" +
  "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f" +
  "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5" +
  "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1" +
  "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d" +
  "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c" +
  "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

const rfc = [
  {
    name: "RFC 8032 7.1 TEST 1",
    secret_key: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    public_key: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" +
      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    name: "RFC 8032 7.1 TEST 2",
    secret_key: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    public_key: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" +
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    name: "RFC 8032 7.1 TEST 3",
    secret_key: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    public_key: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac" +
      "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
  {
    name: "RFC 8032 7.1 TEST 1024",
    secret_key: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
    public_key: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
    message: MSG_1024,
    signature: "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350" +
      "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
  },
  {
    name: "RFC 8032 7.1 TEST SHA(abc)",
    secret_key: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
    public_key: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    message: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    signature: "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589" +
      "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
  },
];

for (const v of rfc) {
  if (MSG_1024.length !== 2046) throw new Error(`1024 message length ${MSG_1024.length / 2}`);
  const pub = hex(ed.getPublicKey(unhex(v.secret_key)));
  const sig = hex(ed.sign(unhex(v.message), unhex(v.secret_key)));
  if (pub !== v.public_key) throw new Error(`${v.name}: public key ${pub}`);
  if (sig !== v.signature) throw new Error(`${v.name}: signature ${sig}`);
  if (!ed.verify(unhex(v.signature), unhex(v.message), unhex(v.public_key), { zip215: false })) {
    throw new Error(`${v.name}: does not verify`);
  }
}
if (hex(sha512(new TextEncoder().encode("abc"))) !== rfc[4]!.message) throw new Error("SHA(abc)");

// ── strict negatives ──
const t1 = rfc[0]!, t2 = rfc[1]!;
type Neg = { name: string; public_key: string; message: string; signature: string; note: string };
const neg: Neg[] = [];
const add = (name: string, public_key: string, message: string, signature: string, note: string) =>
  neg.push({ name, public_key, message, signature, note });
const flip = (h: string, byte: number) => {
  const b = unhex(h);
  b[byte]! ^= 0x01;
  return hex(b);
};

add("tampered message byte", t2.public_key, "73", t2.signature, "TEST 2 with message 0x73");
add("tampered R byte", t2.public_key, t2.message, flip(t2.signature, 0), "first byte of R flipped");
add("tampered S byte", t2.public_key, t2.message, flip(t2.signature, 40), "a byte of S flipped");
add("wrong key", t2.public_key, t1.message, t1.signature, "TEST 1 signature under TEST 2 key");
{
  const s = le(unhex(t1.signature.slice(64)));
  const mall = t1.signature.slice(0, 64) + hex(toLe32(s + L));
  add("S + L (malleated, non-canonical S)", t1.public_key, t1.message, mall, "accepted by lax verifiers");
  add("S = L", t1.public_key, t1.message, t1.signature.slice(0, 64) + hex(toLe32(L)), "S must be < L");
  add("S all ones", t1.public_key, t1.message, t1.signature.slice(0, 64) + "ff".repeat(32), "S >= L");
}
add("truncated 63-byte signature", t1.public_key, t1.message, t1.signature.slice(0, 126), "length");
add("65-byte signature", t1.public_key, t1.message, t1.signature + "00", "length");
add("empty signature", t1.public_key, t1.message, "", "length");
add("31-byte public key", t1.public_key.slice(0, 62), t1.message, t1.signature, "length");
add("33-byte public key", t1.public_key + "00", t1.message, t1.signature, "length");

// The 8 small-order points, computed: multiples of an order-8 point T.
const T = ed.Point.fromBytes(unhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), false);
if (!T.multiply(8n, false).is0() || T.multiply(4n, false).is0()) throw new Error("T is not of order 8");
const identityR = "01" + "00".repeat(31);
const forgeries: string[] = [];
for (let k = 0n; k < 8n; k++) {
  const P = k === 0n ? ed.Point.ZERO : T.multiply(k, false);
  const enc = hex(P.toBytes());
  forgeries.push(enc);
  const sig = identityR + "00".repeat(32);
  if (!ed.verify(unhex(sig), unhex("deadbeef"), unhex(enc), { zip215: true })) {
    throw new Error(`small-order forgery ${enc} not accepted by zip215: vector is pointless`);
  }
  add(`small-order public key ${k}·T (${enc.slice(0, 8)}…)`, enc, "deadbeef", sig,
    "R = identity, S = 0 verifies for ANY message under a small-order key (ZIP-215 accepts it)");
}
// Non-canonical encodings (y >= p) of the identity, and x = 0 with the sign bit set.
const yP1 = "ee" + "ff".repeat(30) + "7f"; // y = p + 1 ≡ 1
add("non-canonical public key (y = p+1, identity)", yP1, "deadbeef", identityR + "00".repeat(32),
  "non-canonical encoding of a small-order point");
add("non-canonical public key (x = 0, sign bit set)", "01" + "00".repeat(30) + "80", "deadbeef",
  identityR + "00".repeat(32), "'negative zero' encoding of the identity");
add("non-canonical public key (y = p)", "ed" + "ff".repeat(30) + "7f", "deadbeef",
  identityR + "00".repeat(32), "y = p encodes y = 0");
// Small-order / non-canonical R with S = k·a: the cofactored equation holds for the real key.
{
  const seed = unhex(t1.secret_key);
  const { scalar } = ed.utils.getExtendedPublicKey(seed);
  const A = unhex(t1.public_key);
  const msg = unhex("6869");
  for (const [name, R] of [["small-order R (identity)", identityR], ["non-canonical R (y = p+1)", yP1]] as const) {
    const k = le(sha512(new Uint8Array([...unhex(R), ...A, ...msg]))) % L;
    const S = (k * scalar) % L;
    const sig = R + hex(toLe32(S));
    if (!ed.verify(unhex(sig), msg, A, { zip215: true })) throw new Error(`${name}: zip215 should accept`);
    add(name, t1.public_key, "6869", sig, "R of small order with S = k·a: a cofactored verifier accepts; never made by a signer");
  }
}

const header = "Generated by test/vectors/ed25519/generate.ts; do not edit.";
writeFileSync(new URL("./rfc8032.json", import.meta.url), JSON.stringify({ comment: header, vectors: rfc }, null, 2) + "\n");
writeFileSync(
  new URL("./strict.json", import.meta.url),
  JSON.stringify({ comment: header + " Every case must verify as false.", small_order_points: forgeries, vectors: neg }, null, 2) + "\n",
);
console.log(`rfc8032.json: ${rfc.length}, strict.json: ${neg.length}`);
