// Builds the transactions recorded in tests/vectors/solana_web3_transactions.json.
const w = require('@solana/web3.js');
const payer = w.Keypair.fromSeed(Uint8Array.from(Array(32).fill(7)));
const other = w.Keypair.fromSeed(Uint8Array.from(Array(32).fill(9)));
const recipient = w.Keypair.fromSeed(Uint8Array.from(Array(32).fill(11))).publicKey;
const tableKey = w.Keypair.fromSeed(Uint8Array.from(Array(32).fill(13))).publicKey;
const loaded = [12, 14, 15].map(n => w.Keypair.fromSeed(Uint8Array.from(Array(32).fill(n))).publicKey);
const blockhash = w.PublicKey.default.toBase58().replace(/^1/, '') ; // placeholder, replaced below
const bh = new w.PublicKey(Uint8Array.from([...Array(32).keys()].map(i => i + 100))).toBase58();
const hex = b => Buffer.from(b).toString('hex');
const transfer = (to, lamports) => w.SystemProgram.transfer({fromPubkey: payer.publicKey, toPubkey: to, lamports});
const budget = w.ComputeBudgetProgram.setComputeUnitPrice({microLamports: 1000});
const memo = new w.TransactionInstruction({keys: [], programId: new w.PublicKey('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr'), data: Buffer.from('walletsign')});

function legacy(ixs, signer) {
  const tx = new w.Transaction({feePayer: payer.publicKey, recentBlockhash: bh});
  ixs.forEach(i => tx.add(i));
  const unsigned = tx.serialize({requireAllSignatures: false, verifySignatures: false});
  if (signer) tx.sign(signer);
  return {unsigned, signed: signer ? tx.serialize({requireAllSignatures: false, verifySignatures: false}) : null, message: tx.serializeMessage()};
}
const table = new w.AddressLookupTableAccount({key: tableKey, state: {deactivationSlot: BigInt('18446744073709551615'), lastExtendedSlot: 0, lastExtendedSlotStartIndex: 0, authority: undefined, addresses: loaded}});
function v0(ixs, signer) {
  const msg = new w.TransactionMessage({payerKey: payer.publicKey, recentBlockhash: bh, instructions: ixs}).compileToV0Message([table]);
  const tx = new w.VersionedTransaction(msg);
  const unsigned = tx.serialize();
  if (signer) tx.sign([signer]);
  return {unsigned, signed: signer ? tx.serialize() : null, message: msg.serialize()};
}
const L = legacy([transfer(recipient, 1000)], payer);
const Lmod = legacy([budget, transfer(recipient, 1000)], payer);
const Lforged = (() => {  // slot 0 holds another key's signature over the same message
  const tx = new w.Transaction({feePayer: payer.publicKey, recentBlockhash: bh}).add(transfer(recipient, 1000));
  const { ed25519 } = require('@noble/curves/ed25519');
  tx.addSignature(payer.publicKey, Buffer.from(ed25519.sign(tx.serializeMessage(), other.secretKey.slice(0, 32))));
  return {signed: tx.serialize({requireAllSignatures: false, verifySignatures: false})};
})();
const V = v0([transfer(loaded[0], 2000), memo], payer);
const Vmod = v0([budget, transfer(loaded[0], 2000), memo], payer);
const out = {
  source: "@solana/web3.js " + require('@solana/web3.js/package.json').version + ", scripts in tests/vectors/README.md",
  payer_seed_hex: hex(Uint8Array.from(Array(32).fill(7))),
  payer_public_key: payer.publicKey.toBase58(),
  other_seed_hex: hex(Uint8Array.from(Array(32).fill(9))),
  recent_blockhash: bh,
  lookup_table: tableKey.toBase58(),
  lookup_table_addresses: loaded.map(k => k.toBase58()),
  legacy: {unsigned_hex: hex(L.unsigned), signed_hex: hex(L.signed), message_hex: hex(L.message)},
  legacy_compute_budget_added: {signed_hex: hex(Lmod.signed), message_hex: hex(Lmod.message)},
  legacy_signed_by_other_key: {signed_hex: hex(Lforged.signed)},
  v0_lookup_table: {unsigned_hex: hex(V.unsigned), signed_hex: hex(V.signed), message_hex: hex(V.message)},
  v0_compute_budget_added: {signed_hex: hex(Vmod.signed), message_hex: hex(Vmod.message)},
};
console.log(JSON.stringify(out, null, 2));
