"""The built-in FTP server: contributors upload into their own inbox, and nowhere else.

A contributor logs in with their Stockhouse username and password (checked against the
database on every login; only active users with the contributor role get in). Their FTP
root is `DATA_DIR/inbox/<user id>/`, created on login. They may list, upload, delete,
rename and make folders there; they may not download, change modes or times, or reach
any path outside it (`..`, absolute paths and symbolic links that lead out are refused).

The server runs in a background thread of the serving process, one thread per connection
(logins check argon2 password hashes and must not stall other sessions). FTP sends
passwords in clear: see docs/ftp.md.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import unicodedata
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.errors import AuthenticationFailed
from stockhouse.ingest.inbox import (
    UnsafeName,
    check_name,
    inbox_dir,
    mark_completed,
    mark_finished,
    mark_receiving,
)

with warnings.catch_warnings():
    # pyftpdlib is built on asyncore and asynchat, deprecated since Python 3.11.
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.exceptions import AuthenticationFailed as FtpAuthenticationFailed
    from pyftpdlib.exceptions import AuthorizerError, FilesystemError
    from pyftpdlib.filesystems import AbstractedFS
    from pyftpdlib.handlers import DTPHandler, FTPHandler
    from pyftpdlib.ioloop import IOLoop
    from pyftpdlib.servers import ThreadedFTPServer

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

logger = logging.getLogger("stockhouse.ingest.ftp")

PASSIVE_PORTS = range(30000, 30100)  # open these (and the control port) in the firewall
MAX_UPLOAD_BYTES = 4 * 1024**3  # one file; a longer upload is aborted and removed
MAX_CONNECTIONS = 64
MAX_CONNECTIONS_PER_IP = 8
MAX_LOGIN_ATTEMPTS = 3  # per connection, then it is closed
AUTH_FAILED_DELAY_S = 3.0  # a wrong password is answered after this long
IDLE_TIMEOUT_S = 300
POLL_INTERVAL_S = 0.25  # how quickly the server threads notice a stop
STOP_TIMEOUT_S = 10.0
# e: change folder, l: list, w: upload, d: delete, f: rename, m: make folder. Not r
# (download), a (append), M (chmod) or T (set times).
CONTRIBUTOR_PERMISSIONS = "elwdfm"
BANNER = "Stockhouse contributor inbox. Log in with your Stockhouse username and password."
FILE_MODE = 0o640


class SizeLimitedFile:
    """An upload target that refuses to grow past `limit` bytes, and reports its close.

    Exceeding the limit removes the partial file and raises EFBIG, which pyftpdlib
    answers with `426 File too large`.
    """

    def __init__(self, file: Any, limit: int) -> None:
        self._file = file
        self._limit = limit
        self.name: str = file.name
        mark_receiving(self.name)

    def write(self, data: bytes) -> int:
        if self._file.tell() + len(data) > self._limit:
            # Removed before the client hears "426", so a retry never meets the stub.
            self.close()
            _remove_quietly(self.name)
            raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))
        written: int = self._file.write(data)
        return written

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            mark_finished(self.name)

    @property
    def closed(self) -> bool:
        closed: bool = self._file.closed
        return closed

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._file, attr)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError:
        logger.warning("could not remove the incomplete upload %s", path)


def _open_no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW, FILE_MODE)


def _require_safe_name(path: str) -> None:
    try:
        check_name(os.path.basename(path), allow_temporary=True)
    except UnsafeName as exc:
        raise FilesystemError(exc.message) from None


class InboxFilesystem(AbstractedFS):  # type: ignore[misc]  # pyftpdlib is untyped
    """pyftpdlib's chroot-like view of one inbox, with safe names and no link following."""

    def open(self, filename: str, mode: str) -> Any:
        if mode.startswith("r") and "+" not in mode:
            return open(filename, mode, opener=_open_no_follow)
        _require_safe_name(filename)
        file = open(filename, mode, opener=_open_no_follow)  # noqa: SIM115 (wrapped)
        return SizeLimitedFile(file, self.cmd_channel.max_upload_bytes)

    def chdir(self, path: str) -> None:
        # No os.chdir: it would move the working directory of the whole server process.
        if not os.path.isdir(path):
            raise FilesystemError("Not a directory")
        self.cwd = self.fs2ftp(path)

    def mkdir(self, path: str) -> None:
        _require_safe_name(path)
        os.mkdir(path)

    def rename(self, src: str, dst: str) -> None:
        _require_safe_name(dst)
        os.rename(src, dst)


class ContributorAuthorizer(DummyAuthorizer):  # type: ignore[misc]  # pyftpdlib is untyped
    """Checks logins against the Stockhouse database; a contributor's home is their inbox."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self._homes: dict[str, str] = {}
        self._lock = threading.Lock()

    def _contributor_id(self, username: str, password: str) -> int:
        try:
            with self.runtime.db.session() as session:
                user = accounts.authenticate(session, username, password)
                if not user.has_role(Role.CONTRIBUTOR):
                    raise FtpAuthenticationFailed("This account is not a contributor account.")
                return user.id
        except AuthenticationFailed:
            raise FtpAuthenticationFailed("Wrong username or password.") from None
        except SQLAlchemyError:
            logger.exception("FTP login of %r could not reach the database", username)
            raise AuthorizerError("Login is unavailable right now; try again later.") from None

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        user_id = self._contributor_id(username, password)
        home = inbox_dir(self.runtime.settings, user_id, create=True)
        with self._lock:
            self._homes[username] = os.path.realpath(home)
        logger.info("FTP login of contributor %s (user %s)", username, user_id)

    def get_home_dir(self, username: str) -> str:
        with self._lock:
            home = self._homes.get(username)
        if home is None:
            raise FtpAuthenticationFailed("Wrong username or password.")
        return home

    def has_user(self, username: str) -> bool:
        with self._lock:
            return username in self._homes

    def get_perms(self, username: str) -> str:
        return CONTRIBUTOR_PERMISSIONS

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        if perm not in CONTRIBUTOR_PERMISSIONS or not self.has_user(username):
            return False
        if path is None:
            return True
        home = self.get_home_dir(username)
        real = os.path.realpath(path)
        return real == home or real.startswith(home + os.sep)

    def get_msg_login(self, username: str) -> str:
        return "Welcome. Files you upload here wait in your inbox until you process it."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."


class InboxDTPHandler(DTPHandler):  # type: ignore[misc]  # pyftpdlib is untyped
    """The data channel; marks a fully received file before the client hears "226"."""

    def close(self) -> None:
        # pyftpdlib answers "226" before its on_file_received hook runs, so a client that
        # calls ProcessFilesFromFTP right after its upload would race that hook.
        if not self._closed and self.receive and self.transfer_finished and self.file_obj:
            if not self.file_obj.closed:
                self.file_obj.close()
            mark_completed(self.file_obj.name)
        super().close()


class InboxFTPHandler(FTPHandler):  # type: ignore[misc]  # pyftpdlib is untyped
    """One contributor's FTP session (per-server settings are set on a subclass)."""

    abstracted_fs = InboxFilesystem
    banner = BANNER
    timeout = IDLE_TIMEOUT_S
    max_login_attempts = MAX_LOGIN_ATTEMPTS
    auth_failed_timeout = AUTH_FAILED_DELAY_S
    permit_foreign_addresses = False
    permit_privileged_ports = False
    dtp_handler = InboxDTPHandler
    use_sendfile = False
    max_upload_bytes = MAX_UPLOAD_BYTES

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        # A NUL or control character in a name breaks the OS call or the database query
        # behind it; refuse it before anything else sees it. Passwords may hold anything.
        if cmd != "PASS" and any(unicodedata.category(c) == "Cc" for c in arg):
            self.respond("501 Control characters are not allowed in commands or names.")
            return
        super().pre_process_command(line, cmd, arg)

    def ftp_STOU(self, line: str) -> None:
        # STOU picks the name itself and writes outside the checks of InboxFilesystem.open.
        self.respond("502 STOU is not supported; upload with STOR and a file name.")

    def on_incomplete_file_received(self, file: str) -> None:
        # A truncated picture or clip must not become an item: remove it, the client
        # uploads it again.
        _remove_quietly(file)


class _InboxFTPServer(ThreadedFTPServer):  # type: ignore[misc]  # pyftpdlib is untyped
    """A thread per connection, with its own stop flag (pyftpdlib shares one per class)."""

    max_cons = MAX_CONNECTIONS
    max_cons_per_ip = MAX_CONNECTIONS_PER_IP
    poll_timeout = POLL_INTERVAL_S

    def __init__(self, address: tuple[str, int], handler: type[FTPHandler]) -> None:
        self._lock = threading.Lock()
        self._exit = threading.Event()
        super().__init__(address, handler, ioloop=IOLoop())


class FtpServerHandle:
    """A running FTP server: where it listens, and `stop()` to end it and its sessions."""

    def __init__(self, server: Any, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="stockhouse-ftp", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            while not self._stopping.is_set():
                self._server.serve_forever(
                    timeout=POLL_INTERVAL_S, blocking=False, handle_exit=False
                )
        except Exception:
            logger.exception("the FTP server stopped on an error")
        finally:
            self._server.close_all()

    def stop(self) -> None:
        """Close the listening socket and every session; wait for the threads to end."""
        self._stopping.set()
        self._thread.join(STOP_TIMEOUT_S)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


def start_ftp_server(
    runtime: Runtime,
    host: str,
    port: int,
    *,
    passive_ports: Sequence[int] | None = PASSIVE_PORTS,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    auth_failed_delay_s: float = AUTH_FAILED_DELAY_S,
) -> FtpServerHandle:
    """Start the contributors' FTP server in a background thread.

    `port=0` binds a free port (tests); the handle's `port` says which. `passive_ports=None`
    lets the OS pick data ports instead of PASSIVE_PORTS.
    """
    pyftpdlib_logger = logging.getLogger("pyftpdlib")
    if not pyftpdlib_logger.handlers:
        # Records propagate to Stockhouse's logging; this stops pyftpdlib adding its own.
        pyftpdlib_logger.addHandler(logging.NullHandler())
    handler = type(
        "ConfiguredInboxFTPHandler",
        (InboxFTPHandler,),
        {
            "authorizer": ContributorAuthorizer(runtime),
            "passive_ports": list(passive_ports) if passive_ports is not None else None,
            "max_upload_bytes": max_upload_bytes,
            "auth_failed_timeout": auth_failed_delay_s,
        },
    )
    server = _InboxFTPServer((host, port), handler)
    bound_host, bound_port = server.address[:2]
    logger.info("FTP inbox server on %s:%s", bound_host, bound_port)
    return FtpServerHandle(server, str(bound_host), int(bound_port))
