"""What the bench scripts share: how a saved result names the machine it ran on."""
import os, platform


def cpu() -> str:
    "The CPU model and the cores this process may use"
    model = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    return f"{model}, {len(os.sched_getaffinity(0))} cores available"


def machine() -> str:
    "The CPU, its cores and the operating system"
    return f"{cpu()}, {platform.system()} {platform.release()}"
