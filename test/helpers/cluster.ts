/**
 * A separate, disposable local RabbitMQ cluster for failover tests.
 *
 * `startCluster()` boots `size` RabbitMQ nodes of the locally installed server on 127.0.0.1 (AMQP
 * ports basePort.., e.g. 5681-5683) and clusters them; the shared broker on 5672 is never touched:
 *
 * - Each node gets its own node name (`ala-<amqp port>@localhost`), AMQP and distribution ports,
 *   data/log/pid directories under `<tmpdir>/amqp-lambda-agent-cluster-<basePort>/`, an empty
 *   enabled-plugins file (no management/prometheus listener that could collide with the main
 *   broker's), and config/env files of its own (paths that exist only in that directory), so
 *   nothing from /etc/rabbitmq (which pins the main broker's listener to 5672) applies.
 * - The nodes use an Erlang cookie of their own (random, in that directory; `HOME` points there), so
 *   the main broker can neither join nor be reached by them, and they run as the current user: no
 *   `rabbitmq` user, root, or access to the main broker's cookie is needed.
 * - Node names and ports are fixed per basePort: a cluster left behind by a crashed run (test
 *   process SIGKILLed) is killed and wiped by the next `startCluster()` with the same basePort. On a
 *   normal exit, an uncaught error or SIGINT/SIGTERM/SIGHUP, the nodes are killed and the directory
 *   removed synchronously.
 *
 * One cluster per basePort at a time on a machine: a basePort still used by another live process
 * is refused. For debugging a running cluster by hand:
 * `HOME=<dir> RABBITMQ_CONF_ENV_FILE=<dir>/rabbitmq-env.conf /usr/lib/rabbitmq/bin/rabbitmqctl -n ala-5681@localhost cluster_status`.
 * TEST_CLUSTER_DEBUG=1 prints the timings of the steps on stderr.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqplib from "amqplib";

/** Directory of the RabbitMQ scripts that run as the current user (not the /usr/sbin wrappers that `su rabbitmq`). */
const BIN = process.env.TEST_RABBITMQ_BIN_DIR ?? "/usr/lib/rabbitmq/bin";
const HOST = "localhost";
const DEFAULT_BASE_PORT = 5681;
/** distribution port = AMQP port + DIST_OFFSET (5681 -> 25681) */
const DIST_OFFSET = 20_000;
/** CLI tools get their own distribution port range (default 35672-35682 is shared with every `rabbitmqctl` on the machine). */
const CTL_DIST_OFFSET = 30_100;
const CTL_DIST_PORTS = 20;
const BOOT_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;
const CTL_TIMEOUT_MS = 60_000;

export interface ClusterNode {
  /** Erlang node name, e.g. `ala-5681@localhost` */
  name: string;
  /** AMQP port on 127.0.0.1 */
  port: number;
  /** `amqp://guest:guest@127.0.0.1:<port>/` */
  url: string;
}

export interface QuorumQueueStatus {
  /** The member currently leading the queue (undefined while there is none, e.g. until a new one is elected). */
  leader: ClusterNode | undefined;
  /** All members of the queue, running or not. */
  members: ClusterNode[];
  /** Members running the queue right now. */
  online: ClusterNode[];
}

/**
 * How `stopNode` takes a node down:
 * - `kill` (default): SIGKILL of the node's Erlang VM, i.e. a crash. Clients' sockets are closed by
 *   the kernel without an AMQP `connection.close` and the other nodes see it down at once; nothing is
 *   handed over in an orderly way (what a failover must survive).
 * - `stop`: `rabbitmqctl stop`, an orderly shutdown: clients get `connection.close` 320
 *   CONNECTION_FORCED first (what they see on a rolling restart).
 */
export type StopMode = "kill" | "stop";

export interface LocalCluster {
  nodes: ClusterNode[];
  /** The cluster's directory (node data, logs: `<dir>/<node name>/log/`). */
  dir: string;
  /** Takes a node down (see StopMode) and waits until its processes are gone. */
  stopNode(node: ClusterNode, mode?: StopMode): Promise<void>;
  /**
   * Starts a stopped node again (with its data: it rejoins the cluster) and waits until it serves
   * AMQP as guest. A node waits for the last node that stopped before it finishes booting: to bring
   * back several stopped nodes, start them concurrently.
   */
  startNode(node: ClusterNode): Promise<void>;
  /** The node hosting the leader of a quorum queue (undefined if none or no such queue). */
  quorumLeader(queue: string, vhost?: string): Promise<ClusterNode | undefined>;
  /** Leader, members and online members of a quorum queue (undefined if there is no such queue). */
  quorumStatus(queue: string, vhost?: string): Promise<QuorumQueueStatus | undefined>;
  /** Runs `rabbitmqctl -n <node> ...args` against one of the cluster's nodes; returns stdout, throws on failure. */
  ctl(node: ClusterNode, ...args: string[]): Promise<string>;
  /** Nodes currently started by this helper (not stopped by `stopNode`). */
  running(): ClusterNode[];
  /** Kills every node (SIGKILL: its data is thrown away) and removes the cluster's directory. Idempotent. */
  teardown(): Promise<void>;
}

export interface ClusterOptions {
  /** Number of nodes (default 3). */
  size?: number;
  /** AMQP port of the first node (default 5681); node i listens on basePort + i and distribution port basePort + 20000 + i. */
  basePort?: number;
}

/** Starts a fresh `size`-node cluster (default 3 nodes on 5681-5683) and waits until every node serves AMQP as guest. */
export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const size = options.size ?? 3;
  const basePort = options.basePort ?? DEFAULT_BASE_PORT;
  if (!Number.isInteger(size) || size < 1 || size > 9)
    throw new Error(`cluster size must be 1..9, got ${size}`);
  const cluster = new Cluster(basePort, size);
  cluster.claim(); // before anything is killed or removed
  live.add(cluster);
  try {
    await cluster.start();
  } catch (error) {
    await cluster.teardown().catch(() => undefined);
    throw error;
  }
  return cluster;
}

/** The cluster's directory for `basePort`. */
function clusterDir(basePort = DEFAULT_BASE_PORT): string {
  return join(tmpdir(), `amqp-lambda-agent-cluster-${basePort}`);
}

/**
 * Pids of live processes belonging to the given node names (the node's shell wrapper, Erlang VM
 * and its port programs), found by the `RABBITMQ_NODENAME=<name>` in their environment (Linux /proc).
 */
export function nodeProcesses(names: readonly string[]): number[] {
  const wanted = new Set(names.map((name) => `RABBITMQ_NODENAME=${name}`));
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "latin1");
    } catch {
      continue; // gone, or not ours to read (then it is not one of our nodes either)
    }
    if (environ.split("\0").some((variable) => wanted.has(variable))) {
      // a zombie has an empty environ, so a match is a live process
      pids.push(Number(entry));
    }
  }
  return pids;
}

function nodeName(port: number): string {
  return `ala-${port}@${HOST}`;
}

interface NodeState {
  node: ClusterNode;
  dir: string;
  child?: ChildProcess;
  /** set when the current child exited (or could not be spawned): why */
  exited?: string;
}

class Cluster implements LocalCluster {
  readonly nodes: ClusterNode[];
  readonly dir: string;
  private readonly states = new Map<string, NodeState>();
  private torndown = false;

  constructor(
    private readonly basePort: number,
    size: number,
  ) {
    this.dir = clusterDir(basePort);
    this.nodes = Array.from({ length: size }, (_, i) => {
      const port = basePort + i;
      return { name: nodeName(port), port, url: `amqp://guest:guest@127.0.0.1:${port}/` };
    });
    for (const node of this.nodes) this.states.set(node.name, { node, dir: join(this.dir, node.name) });
  }

  async start(): Promise<void> {
    if (!existsSync(join(BIN, "rabbitmq-server"))) {
      throw new Error(
        `no ${join(BIN, "rabbitmq-server")}: set TEST_RABBITMQ_BIN_DIR to the RabbitMQ scripts' directory`,
      );
    }
    await killNodes(this.nodes.map((node) => node.name));
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.dir, "owner.pid"), String(process.pid));
    // `HOME` of the nodes and the CLI: its cookie is theirs alone (mode 0400 or Erlang refuses it)
    writeFileSync(join(this.dir, ".erlang.cookie"), randomBytes(20).toString("hex").toUpperCase(), {
      mode: 0o400,
    });
    writeFileSync(join(this.dir, "enabled_plugins"), "[].\n");
    writeFileSync(
      join(this.dir, "rabbitmq-env.conf"),
      "# own env file: /etc/rabbitmq/rabbitmq-env.conf is the main broker's\n",
    );
    mkdirSync(join(this.dir, "conf.d"));

    // The first node boots alone; the others then boot at once and join it while booting (classic
    // peer discovery): faster than booting them standalone and then `stop_app` / `join_cluster` /
    // `start_app` (3 CLI runs and a second boot each). The first node must be fully up before:
    // a node that joins it while it still migrates its fresh schema (feature flags) fails its boot
    // with `schema_integrity_check_failed`.
    const [first, ...others] = this.nodes as [ClusterNode, ...ClusterNode[]];
    await this.boot(first);
    await Promise.all(
      others.map(async (node) => {
        try {
          await this.boot(node, first);
        } catch (error) {
          debug(`${node.name} failed to boot, once more from scratch: ${String(error)}`);
          await this.stopNode(node, "kill");
          await this.ctl(first, "forget_cluster_node", node.name).catch(() => undefined);
          rmSync(this.state(node).dir, { recursive: true, force: true, maxRetries: 5 });
          await this.boot(node, first);
        }
      }),
    );
    debug("booted");
    let running = await this.runningNodes(first);
    for (const node of others.filter((other) => !running.includes(other.name))) {
      // booted standalone after all (the first node was not up within the discovery retries)
      await this.ctl(node, "stop_app");
      await this.ctl(node, "reset");
      await this.ctl(node, "join_cluster", first.name);
      await this.ctl(node, "start_app");
      await this.awaitAmqp(node);
      running = await this.runningNodes(first);
      debug(`${node.name} joined by hand`);
    }
    const missing = this.nodes.filter((node) => !running.includes(node.name));
    if (missing.length > 0) {
      throw new Error(`nodes not running in the cluster: ${missing.map((node) => node.name).join(", ")}`);
    }
    debug("clustered");
  }

  /** `running_nodes` of `cluster_status` as seen by `node`. */
  private async runningNodes(node: ClusterNode): Promise<string[]> {
    const status = JSON.parse(await this.ctl(node, "cluster_status", "--formatter", "json")) as {
      running_nodes?: string[];
    };
    return status.running_nodes ?? [];
  }

  running(): ClusterNode[] {
    return this.nodes.filter((node) => {
      const state = this.state(node);
      return state.child !== undefined && state.exited === undefined;
    });
  }

  async stopNode(node: ClusterNode, mode: StopMode = "kill"): Promise<void> {
    const state = this.state(node);
    const child = state.child;
    if (!child || state.exited) return;
    if (mode === "stop") {
      await this.ctl(node, "stop").catch(() => undefined);
      await this.awaitExit(state, STOP_TIMEOUT_MS).catch(() => killGroup(child));
    } else {
      killGroup(child);
    }
    await this.awaitExit(state, STOP_TIMEOUT_MS);
    await killNodes([node.name]); // port programs that outlived the VM, if any
  }

  async startNode(node: ClusterNode): Promise<void> {
    const state = this.state(node);
    if (state.child && !state.exited) return;
    await this.boot(node);
  }

  async quorumStatus(queue: string, vhost = "/"): Promise<QuorumQueueStatus | undefined> {
    const via = this.running()[0];
    if (!via) throw new Error("no node of the cluster is running");
    const rows = JSON.parse(
      await this.ctl(
        via,
        "list_queues",
        "-p",
        vhost,
        "name",
        "type",
        "leader",
        "members",
        "online",
        "--formatter",
        "json",
      ),
    ) as Array<{ name: string; type: string; leader: string; members: string[]; online: string[] }>;
    const row = rows.find((candidate) => candidate.name === queue);
    if (!row) return undefined;
    if (row.type !== "quorum") throw new Error(`queue ${queue} is a ${row.type} queue, not a quorum queue`);
    const byName = (names: string[]) =>
      names.map((name) => this.nodes.find((node) => node.name === name)).filter((node) => node !== undefined);
    const online = byName(row.online);
    // `leader` is the queue record's, updated by a newly elected leader: a dead one is no leader
    return { leader: online.find((node) => node.name === row.leader), members: byName(row.members), online };
  }

  async quorumLeader(queue: string, vhost = "/"): Promise<ClusterNode | undefined> {
    return (await this.quorumStatus(queue, vhost))?.leader;
  }

  ctl(node: ClusterNode, ...args: string[]): Promise<string> {
    return cli("rabbitmqctl", this.dir, this.basePort, ["-n", node.name, ...args]);
  }

  async teardown(): Promise<void> {
    if (this.torndown) return;
    this.torndown = true;
    // SIGKILL rather than `rabbitmqctl stop`: the data is thrown away, and an orderly stop of 3 nodes
    // takes 2-3 s more
    for (const state of this.states.values()) if (state.child && !state.exited) killGroup(state.child);
    await killNodes(this.nodes.map((node) => node.name));
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
    live.delete(this);
    debug("torn down");
  }

  /** Synchronous last resort for process exit and signals. */
  killSync(): void {
    try {
      for (const state of this.states.values()) if (state.child && !state.exited) killGroup(state.child);
      for (const pid of nodeProcesses(this.nodes.map((node) => node.name))) signal(pid, "SIGKILL");
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // best effort: the next startCluster() cleans up what is left
    }
  }

  /** Refuses a basePort whose directory belongs to another live process. */
  claim(): void {
    const file = join(this.dir, "owner.pid");
    if (!existsSync(file)) return;
    const owner = Number(readFileSync(file, "utf8"));
    if (!owner || owner === process.pid) return;
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${owner}/cmdline`, "latin1");
    } catch {
      return; // owner gone: a crashed run, its nodes are cleaned up
    }
    if (cmdline.includes("node")) {
      throw new Error(
        `the test cluster on port ${this.basePort} belongs to the live process ${owner} (another test run?): use another basePort`,
      );
    }
  }

  private state(node: ClusterNode): NodeState {
    const state = this.states.get(node.name);
    if (!state) throw new Error(`${node.name} is not a node of this cluster`);
    return state;
  }

  /** Starts a node's `rabbitmq-server` (in the foreground, in its own process group) and waits for AMQP. */
  private async boot(node: ClusterNode, seed?: ClusterNode): Promise<void> {
    const state = this.state(node);
    for (const sub of ["mnesia", "log"]) mkdirSync(join(state.dir, sub), { recursive: true });
    const output = openSync(join(state.dir, "log", "server.out"), "a");
    const child = spawn(join(BIN, "rabbitmq-server"), [], {
      cwd: state.dir,
      detached: true, // own process group: killed as a whole; a Ctrl-C on the terminal does not reach it
      stdio: ["ignore", output, output],
      env: {
        PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        HOME: this.dir,
        LANG: "C.UTF-8",
        LC_ALL: "C.UTF-8",
        RABBITMQ_NODENAME: node.name,
        RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
        RABBITMQ_NODE_PORT: String(node.port),
        RABBITMQ_DIST_PORT: String(node.port + DIST_OFFSET),
        RABBITMQ_MNESIA_BASE: join(state.dir, "mnesia"),
        RABBITMQ_LOG_BASE: join(state.dir, "log"),
        RABBITMQ_PID_FILE: join(state.dir, "pid"),
        RABBITMQ_CONF_ENV_FILE: join(this.dir, "rabbitmq-env.conf"),
        RABBITMQ_CONFIG_FILE: join(this.dir, "rabbitmq.conf"), // does not exist: defaults + the env above
        RABBITMQ_CONFIG_FILES: join(this.dir, "conf.d"),
        RABBITMQ_ADVANCED_CONFIG_FILE: join(this.dir, "advanced.config"), // does not exist either
        RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, "enabled_plugins"),
        RABBITMQ_MOTD_FILE: join(this.dir, "motd"), // does not exist
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: [
          "-kernel inet_dist_use_interface {127,0,0,1}",
          // a blank node joins `seed` on boot, retrying for up to 60 s while `seed` comes up
          seed ? `-rabbit cluster_nodes {['${seed.name}'],disc}` : "",
          seed
            ? "-rabbit cluster_formation [{discovery_retry_limit,240},{discovery_retry_interval,250}]"
            : "",
        ].join(" "),
        ERL_EPMD_ADDRESS: "127.0.0.1",
        ERL_CRASH_DUMP: join(state.dir, "log", "erl_crash.dump"),
      },
    });
    closeSync(output);
    child.unref();
    state.child = child;
    state.exited = undefined;
    child.once("exit", (code, sig) => {
      if (state.child === child) state.exited = `exit code ${code}, signal ${sig}`;
    });
    child.once("error", (error) => {
      if (state.child === child) state.exited = error.message;
    });
    await this.awaitAmqp(node);
    debug(`${node.name} up`);
  }

  /** Polls an AMQP connection as guest until it opens; fails at once if the node's process exits. */
  private async awaitAmqp(node: ClusterNode): Promise<void> {
    const state = this.state(node);
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    let last: unknown;
    for (;;) {
      if (state.exited) {
        throw new Error(`${node.name} exited while starting (${state.exited}):\n${this.logTail(state)}`);
      }
      try {
        const connection = await amqplib.connect(node.url, { timeout: 2_000 });
        await connection.close();
        return;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${node.name} did not serve AMQP on ${node.port} within ${BOOT_TIMEOUT_MS}ms (last: ${String(last)}):\n${this.logTail(state)}`,
        );
      }
      await delay(100);
    }
  }

  private async awaitExit(state: NodeState, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!state.exited) {
      if (Date.now() > deadline) throw new Error(`${state.node.name} did not exit within ${timeoutMs}ms`);
      await delay(50);
    }
  }

  private logTail(state: NodeState): string {
    const lines: string[] = [];
    for (const file of ["server.out", `${state.node.name}.log`]) {
      try {
        lines.push(
          `--- ${file}`,
          ...readFileSync(join(state.dir, "log", file), "utf8")
            .trimEnd()
            .split("\n")
            .slice(-30),
        );
      } catch {
        // not written
      }
    }
    return lines.join("\n");
  }
}

/** Runs a RabbitMQ CLI tool against the cluster (its cookie, env file and CLI port range). */
function cli(tool: string, dir: string, basePort: number, args: string[]): Promise<string> {
  const min = basePort + CTL_DIST_OFFSET;
  return new Promise((resolve, reject) => {
    execFile(
      join(BIN, tool),
      args,
      {
        timeout: CTL_TIMEOUT_MS,
        killSignal: "SIGKILL",
        env: {
          PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
          HOME: dir,
          LANG: "C.UTF-8",
          LC_ALL: "C.UTF-8",
          RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
          RABBITMQ_CTL_DIST_PORT_MIN: String(min),
          RABBITMQ_CTL_DIST_PORT_MAX: String(min + CTL_DIST_PORTS - 1),
          RABBITMQ_CTL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
          ERL_CRASH_DUMP: "/dev/null",
        },
      },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${tool} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** SIGKILLs every process of the given node names (leftovers of a crashed run) and waits until they are gone. */
async function killNodes(names: readonly string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = nodeProcesses(names);
    if (pids.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`processes of ${names.join(", ")} survive SIGKILL: ${pids.join(", ")}`);
    for (const pid of pids) signal(pid, "SIGKILL");
    await delay(50);
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined) signal(-child.pid, "SIGKILL");
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

const loadedAt = Date.now();
/** With TEST_CLUSTER_DEBUG=1, timings of the steps on stderr. */
function debug(what: string): void {
  if (process.env.TEST_CLUSTER_DEBUG) process.stderr.write(`cluster +${Date.now() - loadedAt}ms ${what}\n`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Clusters not torn down (a failing test, an interrupted run) die with the test process.
const live = new Set<Cluster>();
process.on("exit", () => {
  for (const cluster of live) cluster.killSync();
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  const onSignal = () => {
    for (const cluster of live) cluster.killSync();
    live.clear();
    // exit as the signal would have, unless another listener (e.g. the test runner's) handles it
    if (process.listenerCount(sig) === 1) {
      process.off(sig, onSignal);
      process.kill(process.pid, sig);
    }
  };
  process.on(sig, onSignal);
}
