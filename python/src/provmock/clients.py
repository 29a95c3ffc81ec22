"""Real SDK clients pointed at a running provmock. Each function imports its SDK when it is called, so the plugin
works with any subset of them installed; a missing one raises ImportError naming the package to install.

`server` is a `provmock.Provmock` (the `provmock` fixture) or anything with `url`, `grpc_target`, `tls_target`
and `ca_pem`."""

import base64
import hashlib
import hmac
import importlib
import time

#: The default world's credentials (README "The default world").
RESELLER_TOKEN = "reseller-one-token"
YANDEX_IAM_TOKEN = "provmock-iam-token"
SCP_ACCESS_KEY, SCP_SECRET_KEY = "AKTEST", "SKTEST"


def _need(module, package, what):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"provmock.clients.{what} needs {package} (pip install {package}): {e}") from e


def _discovery(server, api, version, token, credentials, what):
    discovery = _need("googleapiclient.discovery", "google-api-python-client", what)
    if credentials is None:
        if token is None:
            credentials = _need("google.auth.credentials", "google-auth", what).AnonymousCredentials()
        else:
            credentials = _need("google.oauth2.credentials", "google-auth", what).Credentials(token=token)
    return discovery.build(api, version, static_discovery=True, credentials=credentials,
                           client_options={"api_endpoint": server.url + "/"})


def channel_rest(server, version="v1", token=None, credentials=None):
    """The discovery client of Cloud Channel (`googleapiclient.discovery.build("cloudchannel", ...)` with the
    static discovery document) on provmock's plain port; anonymous, or with a bearer `token` (strict auth)."""
    return _discovery(server, "cloudchannel", version, token, credentials, "channel_rest")


def cloudidentity_rest(server, version="v1", token=None, credentials=None):
    """The discovery client of Cloud Identity (`build("cloudidentity", ...)`), like channel_rest."""
    return _discovery(server, "cloudidentity", version, token, credentials, "cloudidentity_rest")


def _bearer_interceptor(grpc, token):
    """An interceptor adding `authorization: Bearer TOKEN` to every unary call: gRPC refuses call credentials on
    a plaintext channel, so strict auth over h2c goes as metadata."""
    header = ("authorization", f"Bearer {token}")

    class Bearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
        def _with_token(self, details):
            # grpc hands interceptors a namedtuple of the call's details
            return details._replace(metadata=list(details.metadata or []) + [header])

        def intercept_unary_unary(self, continuation, details, request):
            return continuation(self._with_token(details), request)

        def intercept_unary_stream(self, continuation, details, request):
            return continuation(self._with_token(details), request)

    return Bearer()


def grpc_channel(server, tls=False, token=None):
    """A grpc channel to provmock: h2c on the plain port, or TLS trusting its CA (`tls=True`), carrying a bearer
    `token` when given."""
    grpc = _need("grpc", "grpcio", "grpc_channel")
    if tls:
        creds = grpc.ssl_channel_credentials(root_certificates=server.ca_pem)
        if token:
            creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
        return grpc.secure_channel(server.tls_target, creds)
    channel = grpc.insecure_channel(server.grpc_target)
    if token:
        channel = grpc.intercept_channel(channel, _bearer_interceptor(grpc, token))
    return channel


def channel_grpc(server, tls=False, token=None, channel=None):
    """google-cloud-channel's `CloudChannelServiceClient` over a gRPC channel to provmock (plaintext by default;
    `tls=True` for the TLS port with provmock's CA; `token` for strict auth). Its `.transport.grpc_channel` can be
    closed when done."""
    _need("grpc", "grpcio", "channel_grpc")
    channel_v1 = _need("google.cloud.channel_v1", "google-cloud-channel", "channel_grpc")
    transports = _need("google.cloud.channel_v1.services.cloud_channel_service.transports", "google-cloud-channel",
                       "channel_grpc")
    channel = channel or grpc_channel(server, tls=tls, token=token)
    return channel_v1.CloudChannelServiceClient(transport=transports.CloudChannelServiceGrpcTransport(channel=channel))


def yandex_sdk(server, iam_token=YANDEX_IAM_TOKEN, **kwargs):
    """A `yandexcloud.SDK` on provmock's TLS port trusting its CA; endpoint discovery points every service back at
    provmock. Pass `token=` (OAuth) or `service_account_key=` instead of the IAM token, and any other SDK option."""
    yandexcloud = _need("yandexcloud", "yandexcloud", "yandex_sdk")
    if not server.tls_target:
        raise ValueError("yandex_sdk needs provmock's TLS port (started without --no-tls)")
    if "token" in kwargs or "service_account_key" in kwargs:
        iam_token = None
    if iam_token is not None:
        kwargs["iam_token"] = iam_token
    return yandexcloud.SDK(endpoint=server.tls_target, root_certificates=server.ca_pem, **kwargs)


def scp_signature(secret_key, method, url, timestamp, access_key, account_id=""):
    """SCP's request signature: Base64(HMAC-SHA256(secret, METHOD + URL + Scp-Timestamp + access key +
    Scp-AccountId + "Openapi")), with the URL exactly as the client sends it (scheme, host, port, path, query)."""
    msg = (method.upper() + url + str(timestamp) + access_key + (account_id or "") + "Openapi").encode()
    return base64.b64encode(hmac.new(secret_key.encode(), msg, hashlib.sha256).digest()).decode()


def scp_headers(method, url, access_key=SCP_ACCESS_KEY, secret_key=SCP_SECRET_KEY, account_id="", timestamp=None):
    """The signing headers for one SCP request (for any HTTP client): Scp-AccessKey, Scp-Signature, Scp-Timestamp
    (milliseconds), Scp-ClientType: Openapi, Scp-AccountId."""
    ts = str(timestamp if timestamp is not None else int(time.time() * 1000))
    return {
        "Scp-AccessKey": access_key,
        "Scp-Signature": scp_signature(secret_key, method, url, ts, access_key, account_id),
        "Scp-Timestamp": ts,
        "Scp-ClientType": "Openapi",
        "Scp-AccountId": account_id or "",
    }


class ScpAuth:
    """A requests auth (`requests.post(url, json=..., auth=ScpAuth())`) that signs each request as SCP's SDKs do,
    over the final URL requests sends. Defaults to the fixture key AKTEST/SKTEST."""

    def __init__(self, access_key=SCP_ACCESS_KEY, secret_key=SCP_SECRET_KEY, account_id=""):
        self.access_key, self.secret_key, self.account_id = access_key, secret_key, account_id

    def __call__(self, request):
        request.headers.update(
            scp_headers(request.method, request.url, self.access_key, self.secret_key, self.account_id)
        )
        return request
