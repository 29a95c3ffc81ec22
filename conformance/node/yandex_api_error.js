// Drives provmock's Yandex IdP UserService with the real Yandex Node SDK (@yandex-cloud/nodejs-sdk): a Session with an
// IAM token and provmock's CA as the root certificate, the SDK's own UserService client on a custom endpoint.
// Usage: node yandex_api_error.js <host:tls-port> <ca.pem> <iam-token> <userpool-id> <missing-user-id>
// Prints one JSON line: what List's response headers carried, and the error the SDK raised for Get.
'use strict';
const fs = require('fs');
const { Session, errors: { ApiError } } = require('@yandex-cloud/nodejs-sdk');
const { idpUserService } = require('@yandex-cloud/nodejs-sdk/organizationmanager-v1');

async function main() {
  const [endpoint, caFile, iamToken, poolId, missingId] = process.argv.slice(2);
  const session = new Session({ iamToken, ssl: { rootCerts: fs.readFileSync(caFile) } });
  const users = session.client(idpUserService.UserServiceClient, endpoint);
  const deadline = () => new Date(Date.now() + 10000);
  const out = {};

  let header;
  const page = await users.list(idpUserService.ListUsersRequest.fromPartial({ userpoolId: poolId }), {
    deadline: deadline(),
    onHeader: (md) => { header = md; },
  });
  out.list = {
    users: page.users.length,
    requestId: header ? header.get('x-request-id') || null : null,
    serverTraceId: header ? header.get('x-server-trace-id') || null : null,
  };

  try {
    await users.get(idpUserService.GetUserRequest.fromPartial({ userId: missingId }), { deadline: deadline() });
    out.get = { error: null };
  } catch (e) {
    out.get = {
      error: e && e.constructor ? e.constructor.name : typeof e,
      isApiError: e instanceof ApiError,
      // ApiError keeps nice-grpc's message ("<path> <STATUS>: <details>") but not the status code itself.
      message: e && e.message,
      requestId: e instanceof ApiError ? e.requestId || null : null,
      serverTraceId: e instanceof ApiError ? e.serverTraceId || null : null,
    };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stdout.write(JSON.stringify({ fatal: String(e && e.stack ? e.stack : e) }) + '\n');
    process.exit(1);
  },
);
