"""What every example does with a finished matplotlib figure."""

from pathlib import Path


def save_figure(fig, out_dir, name: str) -> Path:
    """Write ``fig`` to ``out_dir/name`` (making the folder), close it, say where it went."""
    import matplotlib.pyplot as plt  # noqa: PLC0415  (the example has chosen the backend)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")
    return path
