import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { addKnownSecret, clearKnownSecrets, MASK, redact } from '../../../extension/src/common/redact';

describe('redact', () => {
  const cases: [string, string, string][] = [
    ['ModelScope SDK token', 'using ms-1a2b3c4d-5e6f-7788 now', `using ${MASK} now`],
    ['bearer value', 'Authorization: Bearer abc.def-123456', `Authorization: Bearer ${MASK}`],
    ['JWT', 'id eyJhbGciOi.eyJzdWIiOiIx.sig_part-1 end', `id ${MASK} end`],
    ['oauth2 credentials in a git URL', 'git clone https://oauth2:s3cr3tvalue@www.modelscope.cn/a/b.git', `git clone https://oauth2:${MASK}@www.modelscope.cn/a/b.git`],
    ['token= pair', 'GET /x?token=abcd1234&page=2', `GET /x?token=${MASK}&page=2`],
    ['refresh_token in JSON', '{"refresh_token": "r-9f8e7d6c"}', `{"refresh_token": "${MASK}"}`],
    ['environment variable', 'MODELSCOPE_API_TOKEN=zzzz9999', `MODELSCOPE_API_TOKEN=${MASK}`],
    ['plain text stays', 'downloaded 3 files (12 MB) for qwen/Qwen2.5', 'downloaded 3 files (12 MB) for qwen/Qwen2.5'],
  ];
  for (const [name, input, expected] of cases) {
    it(`masks ${name}`, () => assert.equal(redact(input), expected));
  }

  it('masks secrets registered at run time even when they do not look like tokens', () => {
    addKnownSecret('plainpassword42');
    try {
      assert.equal(redact('login with plainpassword42 ok'), `login with ${MASK} ok`);
    } finally {
      clearKnownSecrets();
    }
    assert.equal(redact('login with plainpassword42 ok'), 'login with plainpassword42 ok');
  });

  it('ignores short known secrets that would mask ordinary words', () => {
    addKnownSecret('abc');
    try {
      assert.equal(redact('abc def'), 'abc def');
    } finally {
      clearKnownSecrets();
    }
  });

  it('handles empty input', () => {
    assert.equal(redact(undefined), '');
    assert.equal(redact(''), '');
  });
});
