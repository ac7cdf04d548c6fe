// Issue 19 cases 9 and 10: where a token may go, as the extension decides before the sidecar would refuse.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  allowHttpHostsForSidecar,
  endpointLabel,
  isLoopbackHost,
  plainHttpHostToAllow,
  sameHub,
  sdkEndpoint,
  withHostAllowed,
} from '../../../extension/src/auth/plainHttp';
import { signInChoiceFacts } from '../../../extension/src/auth/signInFlow';

describe('plainHttpHostToAllow (same table as the sidecar\'s PlainHttpPolicyTests)', () => {
  const table: [string, string[], string | undefined][] = [
    ['https://hub.example.test/', [], undefined],
    ['https://hub.example.test:8443/', [], undefined],
    ['http://127.0.0.1:8765/', [], undefined],
    ['http://127.3.4.5/', [], undefined],
    ['http://localhost:8765/', [], undefined],
    ['http://[::1]:8765/', [], undefined],
    ['http://[::ffff:127.0.0.1]:8765/', [], undefined],
    ['http://hub.example.test/', [], 'hub.example.test'],
    ['http://10.0.0.5:8765/', [], '10.0.0.5:8765'],
    ['http://localhost.example.test/', [], 'localhost.example.test'],
    ['http://127.0.0.1.example.test/', [], '127.0.0.1.example.test'],
    ['http://hub.example.test/', ['hub.example.test'], undefined],
    ['http://HUB.Example.test:9000/', ['hub.example.test'], undefined],
    ['http://hub.example.test:9000/', ['http://hub.example.test'], undefined],
    ['http://hub.example.test:9000/', ['hub.example.test:9000'], undefined],
    ['http://hub.example.test:9001/', ['hub.example.test:9000'], 'hub.example.test:9001'],
    ['http://hub.example.test/', ['hub.example.test:80'], undefined],
    ['http://other.example.test/', ['hub.example.test, 10.0.0.5:8765'], 'other.example.test'],
    ['http://10.0.0.5:8765/', ['hub.example.test, 10.0.0.5:8765'], undefined],
    ['http://sub.hub.example.test/', ['hub.example.test'], 'sub.hub.example.test'],
    ['http://[fd00::5]:8765/', ['[fd00::5]'], undefined],
    ['http://[fd00::5]:8765/', ['[fd00::5]:8764'], '[fd00::5]:8765'],
    ['http://hub.example.test/', ['', 'not a host ::'], 'hub.example.test'],
  ];
  for (const [endpoint, allowed, expected] of table) {
    it(`${endpoint} with [${allowed.join(' | ')}]`, () => assert.equal(plainHttpHostToAllow(endpoint, allowed), expected));
  }

  it('knows this machine', () => {
    assert.deepEqual(['localhost', '127.0.0.1', '127.255.0.9', '[::1]', '[::ffff:7f00:1]', 'LOCALHOST.'].map(isLoopbackHost), [true, true, true, true, true, true]);
    assert.deepEqual(['128.0.0.1', 'localhost.example.test', '[::2]', '[::ffff:a00:1]', '0.0.0.0'].map(isLoopbackHost), [false, false, false, false, false]);
  });

  it('adds a host once and hands the sidecar the environment\'s hosts plus the setting\'s', () => {
    assert.deepEqual(withHostAllowed(['a'], 'b:1'), ['a', 'b:1']);
    assert.deepEqual(withHostAllowed(['a', 'b:1'], 'b:1'), ['a', 'b:1']);
    assert.equal(allowHttpHostsForSidecar(undefined, []), '');
    assert.equal(allowHttpHostsForSidecar(' env.lan ', ['hub.lan', ' ', '10.0.0.5:8765']), 'env.lan,hub.lan,10.0.0.5:8765');
  });
});

describe('which hub a token found on this machine was made for', () => {
  it('follows the SDK: MODELSCOPE_ENDPOINT, else MODELSCOPE_DOMAIN, else modelscope.cn', () => {
    assert.equal(sdkEndpoint({}), 'https://modelscope.cn');
    assert.equal(sdkEndpoint({ MODELSCOPE_DOMAIN: 'www.modelscope.ai' }), 'https://www.modelscope.ai');
    assert.equal(sdkEndpoint({ MODELSCOPE_DOMAIN: 'http://hub.lan:8080/' }), 'http://hub.lan:8080');
    assert.equal(sdkEndpoint({ MODELSCOPE_ENDPOINT: 'http://127.0.0.1:8765/', MODELSCOPE_DOMAIN: 'x' }), 'http://127.0.0.1:8765');
  });

  it('compares hubs by scheme, host (www. aside) and port', () => {
    assert.ok(sameHub('https://modelscope.cn', 'https://www.modelscope.cn/'));
    assert.ok(!sameHub('https://modelscope.cn', 'https://www.modelscope.ai'));
    assert.ok(!sameHub('https://modelscope.cn', 'http://modelscope.cn'));
    assert.ok(!sameHub('http://127.0.0.1:8765', 'http://127.0.0.1:8766'));
    assert.ok(!sameHub('not a url', 'not a url'));
  });

  it('shows an endpoint as its host, with http:// when it is plain', () => {
    assert.equal(endpointLabel('https://modelscope.cn/'), 'modelscope.cn');
    assert.equal(endpointLabel('http://127.0.0.1:8765'), 'http://127.0.0.1:8765');
    assert.equal(endpointLabel('https://hub.example.test:8443'), 'hub.example.test:8443');
  });
});

describe('signInChoiceFacts', () => {
  it('shows where the token goes beside every choice, the token found on this machine too', () => {
    const facts = signInChoiceFacts(['local', 'token', 'browser'], 'https://hub.example.test', 'https://modelscope.cn');
    assert.deepEqual(facts, [
      { method: 'local', description: '→ hub.example.test', madeFor: 'modelscope.cn' },
      { method: 'token', description: '→ hub.example.test' },
      { method: 'browser', description: '→ hub.example.test' },
    ]);
  });

  it('says nothing more when the found token belongs to the endpoint', () => {
    assert.deepEqual(signInChoiceFacts(['local'], 'https://www.modelscope.cn', 'https://modelscope.cn'), [{ method: 'local', description: '→ www.modelscope.cn' }]);
  });
});
