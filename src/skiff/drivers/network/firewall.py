"""skiff's iptables rules for its bridges, in chains of its own, beside any other firewall manager.

Whatever the ``FORWARD`` policy is and whatever dockerd, netavark, ufw or firewalld put there,
traffic of skiff's bridges is decided in skiff's chains, jumped to first::

    filter FORWARD        -j SKIFF-FORWARD                      (inserted at the top)
           SKIFF-FORWARD  -j SKIFF-ISOLATION-1                  (networks kept apart first)
                          -o br  ctstate RELATED,ESTABLISHED    ACCEPT   (replies)
                          -o br  ctstate DNAT                   ACCEPT   (published ports)
                          -i br ! -o br                         ACCEPT   (out of the bridge)
                          -i br -o br                           ACCEPT   (between containers)
           SKIFF-ISOLATION-1  ctstate DNAT RETURN; -i br ! -o br -j SKIFF-ISOLATION-2
           SKIFF-ISOLATION-2  -o br DROP          (two rules per bridge, as Docker's chains)
    nat    POSTROUTING    -j SKIFF-POSTROUTING
           SKIFF-POSTROUTING  -s subnet ! -o br MASQUERADE

Every rule of a bridge carries the comment ``skiff:<bridge>:<role>``: that is how skiff finds
its own rules, restores the missing ones (another manager flushed them) and removes exactly its
own and nothing else. Changes go in one ``iptables-restore --noflush`` batch. The shared chains
and jumps stay, as Docker's DOCKER-USER does.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from skiff.drivers.network.base import BridgeNetwork
from skiff.errdefs import SkiffError, System

FORWARD, ISOLATION_1, ISOLATION_2 = "SKIFF-FORWARD", "SKIFF-ISOLATION-1", "SKIFF-ISOLATION-2"
POSTROUTING = "SKIFF-POSTROUTING"
SHARED = "skiff"  # the comment of the rules shared by every bridge
TIMEOUT = 30.0  # seconds an iptables program may take (it waits for the xtables lock)
SYSCTL = Path("/proc/sys/net")
FORWARDING = "ipv4/ip_forward"
BRIDGE_NF = {"BridgeNfIptables": "bridge/bridge-nf-call-iptables",
             "BridgeNfIp6tables": "bridge/bridge-nf-call-ip6tables"}


@dataclass(frozen=True)
class Rule:
    """One rule: where it goes, its matches and target, and its identifying comment."""

    table: str
    chain: str
    spec: tuple[str, ...]
    comment: str
    first: bool = False  # inserted at the top of its chain rather than appended

    def words(self) -> list[str]:
        return [*self.spec, "-m", "comment", "--comment", self.comment]


CHAINS = {"filter": (FORWARD, ISOLATION_1, ISOLATION_2), "nat": (POSTROUTING,)}
BASE = (
    Rule("filter", "FORWARD", ("-j", FORWARD), SHARED, first=True),
    Rule("filter", FORWARD, ("-j", ISOLATION_1), SHARED, first=True),
    Rule("filter", ISOLATION_1, ("-m", "conntrack", "--ctstate", "DNAT", "-j", "RETURN"),
         SHARED, first=True),
    Rule("nat", "POSTROUTING", ("-j", POSTROUTING), SHARED),
)


def bridge_rules(net: BridgeNetwork) -> list[Rule]:
    """The rules of one bridge (pure: no I/O)."""
    br, tag = net.bridge, f"skiff:{net.bridge}:"
    rules = [
        Rule("filter", ISOLATION_1, ("-i", br, "!", "-o", br, "-j", ISOLATION_2), tag + "isolate"),
        Rule("filter", ISOLATION_2, ("-o", br, "-j", "DROP"), tag + "isolate"),
        Rule("filter", FORWARD, ("-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
                                 "-j", "ACCEPT"), tag + "replies"),
        Rule("filter", FORWARD, ("-o", br, "-m", "conntrack", "--ctstate", "DNAT",
                                 "-j", "ACCEPT"), tag + "published"),
    ]
    if net.internal:  # as Docker: nothing in or out but to and from the subnet itself
        rules += [Rule("filter", ISOLATION_1, ("-i", br, "!", "-d", net.subnet, "-j", "DROP"),
                       tag + "internal-in"),
                  Rule("filter", ISOLATION_1, ("-o", br, "!", "-s", net.subnet, "-j", "DROP"),
                       tag + "internal-out")]
    else:
        rules.append(Rule("filter", FORWARD, ("-i", br, "!", "-o", br, "-j", "ACCEPT"),
                          tag + "out"))
    if net.icc:
        rules.append(Rule("filter", FORWARD, ("-i", br, "-o", br, "-j", "ACCEPT"), tag + "icc"))
    else:
        rules.append(Rule("filter", ISOLATION_1, ("-i", br, "-o", br, "-j", "DROP"),
                          tag + "no-icc"))
    if net.masquerade and not net.internal:
        rules.append(Rule("nat", POSTROUTING, ("-s", net.subnet, "!", "-o", br,
                                               "-j", "MASQUERADE"), tag + "masquerade"))
    return rules


@dataclass(frozen=True)
class Saved:
    """One rule as ``iptables-save`` printed it."""

    table: str
    chain: str
    line: str  # what follows "-A CHAIN "
    comment: str


@dataclass
class Ruleset:
    """What ``iptables-save`` showed: chains per table, rules in order, chain policies."""

    chains: dict[str, set[str]]
    rules: list[Saved]
    policies: dict[tuple[str, str], str]

    def copies(self, rule: Rule) -> list[Saved]:
        return [s for s in self.rules if s.table == rule.table and s.chain == rule.chain and
                s.comment == rule.comment and _same(s.line, rule)]

    def has(self, rule: Rule) -> bool:
        return bool(self.copies(rule))

    def leads(self, rule: Rule) -> bool:
        """Whether ``rule`` is the first rule of its chain."""
        first = next((s for s in self.rules if s.table == rule.table and s.chain == rule.chain),
                     None)
        return first is not None and first in self.copies(rule)

    def of_bridge(self, bridge: str) -> list[Saved]:
        tag = f"skiff:{bridge}:"
        return [s for s in self.rules if s.comment.startswith(tag)]


def _same(line: str, rule: Rule) -> bool:
    """Whether a saved rule is ``rule``: the same comment and the same words in its spec."""
    words = shlex.split(line)
    return all(word in words for word in rule.spec)


def parse(saved: str) -> Ruleset:
    """Read ``iptables-save`` output."""
    chains: dict[str, set[str]] = {}
    rules: list[Saved] = []
    policies: dict[tuple[str, str], str] = {}
    table = ""
    for raw in saved.splitlines():
        line = raw.strip()
        if line.startswith("*"):
            table = line[1:]
            chains.setdefault(table, set())
        elif line.startswith(":"):
            name, policy = [*line[1:].split(), "-"][:2]
            chains.setdefault(table, set()).add(name)
            if policy != "-":
                policies[(table, name)] = policy
        elif line.startswith("-A "):
            parts = line.split(" ", 2)
            chain, rest = parts[1], parts[2] if len(parts) > 2 else ""
            words = shlex.split(rest)
            comment = next((words[i + 1] for i, w in enumerate(words[:-1])
                            if w == "--comment"), "")
            rules.append(Saved(table, chain, rest, comment))
    return Ruleset(chains, rules, policies)


def plan_ensure(current: Ruleset, wanted: Iterable[Rule],
                to_top: bool = False) -> dict[str, list[str]]:
    """The restore lines per table that add what is missing of ``wanted`` (pure). With
    ``to_top`` (at start and reload, as dockerd does with DOCKER-USER), skiff's jump from
    FORWARD moves back to the top when another manager has inserted rules above it."""
    lines: dict[str, list[str]] = {}
    for table, names in CHAINS.items():
        for name in names:
            if name not in current.chains.get(table, set()):
                lines.setdefault(table, []).append(f":{name} - [0:0]")
    for rule in [*BASE, *wanted]:
        if to_top and rule.first and rule.chain not in CHAINS[rule.table] and \
                current.has(rule) and not current.leads(rule):
            lines.setdefault(rule.table, []).extend(
                f"-D {saved.chain} {saved.line}" for saved in current.copies(rule))
        elif current.has(rule):
            continue
        op = f"-I {rule.chain} 1" if rule.first else f"-A {rule.chain}"
        lines.setdefault(rule.table, []).append(f"{op} {_join(rule.words())}")
    return lines


def _join(words: list[str]) -> str:
    """Words as iptables-restore reads them (it knows double quotes, not shell quoting)."""
    return " ".join(f'"{w}"' if not w or any(c.isspace() for c in w) else w for w in words)


def plan_release(current: Ruleset, bridge: str) -> dict[str, list[str]]:
    """The restore lines that delete every rule of ``bridge`` (pure)."""
    lines: dict[str, list[str]] = {}
    for saved in current.of_bridge(bridge):
        lines.setdefault(saved.table, []).append(f"-D {saved.chain} {saved.line}")
    return lines


def plan_legacy(current: Ruleset) -> dict[str, list[str]]:
    """Delete what older skiffd versions made (comment ``skiff``, not a shared rule of now)."""
    lines: dict[str, list[str]] = {}
    for saved in current.rules:
        if saved.comment == SHARED and not any(
                saved.table == r.table and saved.chain == r.chain and _same(saved.line, r)
                for r in BASE):
            lines.setdefault(saved.table, []).append(f"-D {saved.chain} {saved.line}")
    return lines


def restore_text(lines: dict[str, list[str]]) -> str:
    return "".join(f"*{table}\n" + "".join(f"{line}\n" for line in body) + "COMMIT\n"
                   for table, body in lines.items() if body)


async def _run(args: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    try:
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE if stdin is not None else None,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except FileNotFoundError:
        raise System(f"{args[0]} is not installed: bridge networks need it") from None
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise System(f"{args[0]} did not finish in {TIMEOUT:.0f} s") from None
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


class Firewall:
    """skiff's rules for its bridges, through iptables-save and iptables-restore."""

    def __init__(self, save: str = "iptables-save", restore: str = "iptables-restore") -> None:
        self._save = save
        self._restore = restore
        self._lock = asyncio.Lock()  # one read-change-write at a time
        self._wanted: dict[Rule, None] = {}  # what the next check adds, in order
        self._check: asyncio.Task[None] | None = None  # the next check, not begun yet

    async def current(self) -> Ruleset:
        code, out, err = await _run([self._save])
        if code != 0:
            raise System(f"reading the firewall rules: {err.strip()}")
        return parse(out)

    async def _apply(self, lines: dict[str, list[str]]) -> None:
        text = restore_text(lines)
        if not text:
            return
        code, _, err = await _run([self._restore, "-w", "--noflush"], text.encode())
        if code != 0:
            raise System(f"setting up the firewall rules: {err.strip()}")

    async def ensure(self, networks: Iterable[BridgeNetwork]) -> None:
        """Add whatever is missing of these bridges' rules (idempotent, cheap when all is there).

        Callers that come while a check waits for its turn share it: ten containers started
        at once read the rules once or twice, not ten times. Each caller's check still begins
        after its call.
        """
        self._wanted.update(dict.fromkeys(rule for net in networks for rule in bridge_rules(net)))
        if self._check is None:
            self._check = asyncio.get_running_loop().create_task(self._ensure_wanted())
        await asyncio.shield(self._check)

    async def _ensure_wanted(self) -> None:
        async with self._lock:
            self._check = None  # from here on, callers wait for the next check
            wanted, self._wanted = list(self._wanted), {}
            await self._apply(plan_ensure(await self.current(), wanted))

    async def reconcile(self, networks: Iterable[BridgeNetwork]) -> None:
        """At start or reload: drop what older versions left, ensure every bridge's rules, and
        turn IPv4 forwarding on, as dockerd does (the FORWARD policy is left as it is)."""
        wanted = [rule for net in networks for rule in bridge_rules(net)]
        if not _sysctl(FORWARDING):
            (SYSCTL / FORWARDING).write_text("1\n")
        async with self._lock:
            await self._apply(plan_legacy(await self.current()))
            await self._apply(plan_ensure(await self.current(), wanted, to_top=True))

    async def release(self, bridge: str) -> None:
        """Remove every rule of ``bridge``, and only those."""
        async with self._lock:
            await self._apply(plan_release(await self.current(), bridge))

    async def diagnose(self, networks: Iterable[BridgeNetwork]) -> list[str]:
        """What can be seen going wrong, in the words of /info's Warnings."""
        warnings = []
        if not _sysctl(FORWARDING):
            warnings.append("WARNING: IPv4 forwarding is disabled")
        for setting in BRIDGE_NF.values():
            if not _sysctl(setting):
                warnings.append(f"WARNING: {setting.split('/')[1]} is disabled")
        try:
            current = await self.current()
        except SkiffError as exc:
            return [*warnings, f"WARNING: {exc}"]
        base = all(current.has(rule) for rule in BASE)
        broken = sorted({net.bridge for net in networks for rule in bridge_rules(net)
                         if not base or not current.has(rule)})
        if broken:
            policy = current.policies.get(("filter", "FORWARD"), "ACCEPT")
            effect = ("containers on them cannot reach each other, the outside or published "
                      "ports" if policy != "ACCEPT" else "those networks are not kept apart")
            warnings.append(
                f"WARNING: skiff's firewall rules are missing for {', '.join(broken)} "
                f"(FORWARD policy {policy}): {effect}; they come back when a container starts "
                f"or on SIGHUP to skiffd")
        return warnings

    def facts(self) -> dict[str, bool]:
        """/info's IPv4Forwarding, BridgeNfIptables and BridgeNfIp6tables, from the kernel."""
        return {"IPv4Forwarding": _sysctl(FORWARDING),
                **{key: _sysctl(setting) for key, setting in BRIDGE_NF.items()}}


def _sysctl(name: str) -> bool:
    try:
        return (SYSCTL / name).read_text().strip() == "1"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> None:
    """``python -m skiff.drivers.network.firewall release BRIDGE...``: drop bridges' rules
    (a default bridge's outlive skiffd, as docker0's outlive dockerd)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or args[0] != "release":
        sys.exit("usage: python -m skiff.drivers.network.firewall release BRIDGE...")

    async def release_all() -> None:
        firewall = Firewall()
        for bridge in args[1:]:
            await firewall.release(bridge)

    asyncio.run(release_all())


if __name__ == "__main__":
    main()
