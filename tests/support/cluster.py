"""Three relay nodes on ONE PostgreSQL database and one Redis hub behind HAProxy
(deploy/haproxy/haproxy.cfg, TLS with a test CA): the cluster the failover tests, the browser
test and ``scripts/bench_cluster.py --relays`` run. Each node is started with ``--node-name``
(relay1..3, HAProxy's server names) and ``--trust-proxy``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.api import Api
from tests.support.certificates import Certificates, make_certificates
from tests.support.haproxy import SERVER_NAMES, HAProxy, running_haproxy
from tests.support.postgres import PostgresServer
from tests.support.redis_server import RedisServer, run_redis
from tests.support.relay import DEFAULT_AGENTS, Agent, RelayProcess, add_agent


@dataclass
class Cluster:
    proxy: HAProxy
    nodes: list[RelayProcess]
    context: ssl.SSLContext  # trusts the test CA
    redis: RedisServer
    certificates: Certificates
    postgres: PostgresServer

    def pids(self) -> dict[str, int]:
        """The process id of each running part, by name: ``relay1``..``relay3`` (those still
        running), ``postgres`` (the postmaster: its backends are its children), ``redis``,
        ``haproxy``."""
        pids = {}
        for name, node in zip(SERVER_NAMES, self.nodes, strict=True):
            if node.running and node.process is not None:
                pids[name] = node.process.pid
        pids["postgres"] = self.postgres.process.pid
        pids["redis"] = self.redis.process.pid
        pids["haproxy"] = self.proxy.process.pid
        return pids

    def api(self, node: int | None = None) -> Api:
        """The API through the balancer, or straight at one node (a direct connection)."""
        if node is None:
            return Api(self.proxy.url, self.context)
        return Api(self.nodes[node].url)


@contextmanager
def running_cluster(work: Path, postgres: PostgresServer) -> Iterator[Cluster]:
    """A new database on ``postgres`` with the default agents, Redis, three relays on them and
    HAProxy in front, every node UP; all stopped at exit."""
    database = postgres.create_database("cluster")
    for agent in DEFAULT_AGENTS:
        add_agent(work, agent, postgres.store_args(database))
    with ExitStack() as stack:
        redis = stack.enter_context(run_redis())
        nodes: list[RelayProcess] = []
        stack.callback(lambda: [node.stop() for node in nodes])
        for name in SERVER_NAMES:
            (work / name / "data").mkdir(parents=True)
            args = (*postgres.store_args(database), *redis.hub_args(), "--node-name", name,
                    "--trust-proxy")  # fmt: skip
            nodes.append(RelayProcess(work / name / "data", work / name, args))
            nodes[-1].start()
        certificates = make_certificates(work / "tls")
        context = ssl.create_default_context(cafile=str(certificates.ca_cert))
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        proxy = stack.enter_context(running_haproxy(work / "haproxy", addresses, certificates))
        yield Cluster(proxy, nodes, context, redis, certificates, postgres)


@dataclass
class Nodes:
    """Relay nodes on one PostgreSQL database and one Redis hub, without a balancer."""

    nodes: list[RelayProcess]
    redis: RedisServer
    database: str

    def api(self, node: int) -> Api:
        return Api(self.nodes[node].url)


@contextmanager
def running_nodes(
    work: Path,
    postgres: PostgresServer,
    count: int = 2,
    agents: tuple[Agent, ...] = DEFAULT_AGENTS,
    extra_args: tuple[str, ...] = (),
) -> Iterator[Nodes]:
    """``count`` relays (``node1``...) on a new database holding ``agents`` and one Redis,
    reached directly; all stopped at exit."""
    database = postgres.create_database("nodes")
    for agent in agents:
        add_agent(work, agent, postgres.store_args(database))
    with ExitStack() as stack:
        redis = stack.enter_context(run_redis())
        nodes: list[RelayProcess] = []
        stack.callback(lambda: [node.stop() for node in nodes])
        for number in range(1, count + 1):
            name = f"node{number}"
            (work / name / "data").mkdir(parents=True)
            args = (*postgres.store_args(database), *redis.hub_args(), "--node-name", name,
                    *extra_args)  # fmt: skip
            nodes.append(RelayProcess(work / name / "data", work / name, args))
            nodes[-1].start()
        yield Nodes(nodes, redis, database)
