// Writes images/base/tests/contract_corpus.json: the contract's corpus with the control plane's verdicts, which the
// runtime's test holds contract_schema.py to. contract-corpus.spec.ts checks the file is current.
import { writeFileSync } from 'node:fs';
import { buildCorpus, CORPUS_FILE, corpusFileText } from './contract-corpus';

if (require.main === module) {
  const corpus = buildCorpus();
  if (corpus.unexpected.length > 0) {
    console.error(`hand-written cases whose verdict is not what their rule says:\n${corpus.unexpected.join('\n')}`);
    process.exit(1);
  }
  writeFileSync(CORPUS_FILE, corpusFileText(corpus));
  const valid = corpus.cases.filter((c) => c.valid).length;
  console.log(`wrote ${corpus.cases.length} cases (${corpus.handWritten} hand-written, ${corpus.generated} generated; ${valid} valid) to ${CORPUS_FILE}`);
}
