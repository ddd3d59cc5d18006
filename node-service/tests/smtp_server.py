"""A real SMTP server for the e-mail tests: aiosmtpd with STARTTLS required and a login.

Usage: smtp_server.py MAILDIR CERT KEY USER PASSWORD
Binds 127.0.0.1 on a port the kernel picks, prints "listening PORT" once it accepts, and stores
every message it is given in the Maildir MAILDIR until it is killed.
"""
import asyncio
import ssl
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    maildir, cert, key, user, password = sys.argv[1:6]
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok)

    handler = Mailbox(maildir)

    def factory():
        return SMTP(
            handler,
            hostname="localhost",
            tls_context=tls,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=authenticate,
            enable_SMTPUTF8=True,
        )

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    print(f"listening {port}", flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main()
