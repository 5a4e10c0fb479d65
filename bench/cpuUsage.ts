/**
 * Where a bench step's CPU went on this machine: the lab's containers (from their cgroups), the deployment tool (the
 * `pulumi` processes this bench ran and waited for) and the rest (dockerd, the kernel's networking), so a slow step
 * can be told apart into "the simulated hosts' own work" and "the cost of deploying to them".
 */

import { execFileSync } from "child_process";
import * as fs from "fs";

/** CPU seconds per part of the machine over one step. */
export interface CpuSplit {
    /** All CPUs, all processes (/proc/stat). */
    readonly total: number;
    /** The lab's light client hosts together. */
    readonly clients: number;
    /** The registry host (its sshd, its dockerd and the registry container it runs). */
    readonly registryHost: number;
    /** The bastion (its sshd: every connection passes it). */
    readonly bastion: number;
    /** The `pulumi` CLI, the language host and program, and the providers (the SSH clients), once they exited. */
    readonly deployer: number;
    /** Everything else: dockerd, containerd shims, the kernel's virtual networking. */
    readonly other: number;
}

/** A point-in-time reading; two of them make a {@link CpuSplit}. */
export interface CpuSample {
    readonly total: number;
    readonly deployer: number;
    readonly containers: ReadonlyMap<string, number>;
}

/** Clock ticks a second of /proc's counters (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** Busy CPU seconds in /proc/stat's first line (everything but idle and iowait). Pure. */
export function busySeconds(procStat: string): number {
    const fields = procStat.split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest and guest_nice are already in user and nice)
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user + nice + system + irq + softirq + (steal ?? 0)) / ticksPerSecond;
}

/** CPU seconds of this process's waited-for children (/proc/self/stat's cutime + cstime). Pure. */
export function childrenSeconds(selfStat: string): number {
    // Fields after the command name (which may hold spaces) start at state, field 3; cutime and cstime are 16 and 17.
    const rest = selfStat.slice(selfStat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[13]) + Number(rest[14])) / ticksPerSecond;
}

/** Where a container's CPU usage lives: cgroup v1's cpuacct, or cgroup v2 with either docker cgroup driver. */
function containerUsageSeconds(id: string): number | undefined {
    const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
    if (fs.existsSync(v1)) return Number(fs.readFileSync(v1, "utf8").trim()) / 1e9;
    for (const dir of [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]) {
        const stat = `${dir}/cpu.stat`;
        if (fs.existsSync(stat)) {
            const usage = /^usage_usec (\d+)$/m.exec(fs.readFileSync(stat, "utf8"));
            if (usage) return Number(usage[1]) / 1e6;
        }
    }
    return undefined;
}

/** Reads the machine, this process's children and each named container (a container it cannot read is left out). */
export function sampleCpu(containerNames: readonly string[]): CpuSample {
    const containers = new Map<string, number>();
    if (containerNames.length > 0) {
        const ids = execFileSync("docker", ["inspect", "-f", "{{.Name}} {{.Id}}", ...containerNames], {
            encoding: "utf8",
        });
        for (const line of ids.trim().split("\n")) {
            const [name, id] = line.trim().split(" ");
            const seconds = containerUsageSeconds(id);
            if (seconds !== undefined) containers.set(name.replace(/^\//, ""), seconds);
        }
    }
    return {
        total: busySeconds(fs.readFileSync("/proc/stat", "utf8")),
        deployer: childrenSeconds(fs.readFileSync("/proc/self/stat", "utf8")),
        containers,
    };
}

/** Which containers are which part of the lab. */
export interface LabParts {
    readonly clients: readonly string[];
    readonly registryHost: string;
    readonly bastion: string;
}

/**
 * The split between two samples. A container missing from either sample counts 0 (a client started or removed
 * in between, or cgroups this machine does not expose). Pure.
 */
export function cpuSplit(before: CpuSample, after: CpuSample, parts: LabParts): CpuSplit {
    const used = (name: string) => Math.max(0, (after.containers.get(name) ?? 0) - (before.containers.get(name) ?? 0));
    const round = (s: number) => Math.round(s * 10) / 10;
    const clients = parts.clients.reduce((sum, c) => sum + used(c), 0);
    const registryHost = used(parts.registryHost);
    const bastion = used(parts.bastion);
    const deployer = after.deployer - before.deployer;
    const total = after.total - before.total;
    return {
        total: round(total),
        clients: round(clients),
        registryHost: round(registryHost),
        bastion: round(bastion),
        deployer: round(deployer),
        other: round(Math.max(0, total - clients - registryHost - bastion - deployer)),
    };
}
