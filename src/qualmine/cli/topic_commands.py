"""`qualmine topics run|list|suggest-codes`: topics of participant speech (BERTopic)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qualmine.cli.console import console, emit_tables, format_option, output_option, progress_bar
from qualmine.cli.context import acting_coder, current_project
from qualmine.cli.lazy import GuardedGroup

if TYPE_CHECKING:
    from qualmine.topics import TopicRunResult

coder_option = click.option(
    "--coder",
    default=None,
    metavar="CODER",
    help="Align with this coder's accepted codings (default: report_coder in qualmine.toml).",
)
by_option = click.option(
    "--by",
    multiple=True,
    metavar="ATTRIBUTE",
    help="Case attribute for prevalence by group; repeatable (default: those forming groups).",
)


@click.group(cls=GuardedGroup)
def topics() -> None:
    """Find topics in participant speech with BERTopic and compare them with the codebook.

    Example:

    \b
        qualmine topics run --seed 7 --stability 3
        qualmine topics list
        qualmine topics suggest-codes -o draft.yaml
    """


@topics.command("run")
@click.option(
    "--unit",
    type=click.Choice(["segment", "turn"]),
    default="segment",
    show_default=True,
    help="What a topic groups: sentences or whole turns.",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="UMAP's (and k-means') random state; default: seed in qualmine.toml. "
    "A seeded UMAP runs on one thread: slower, but the same seed and cache give "
    "the same topics and byte-identical files.",
)
@click.option(
    "--method",
    type=click.Choice(["hdbscan", "kmeans"]),
    default="hdbscan",
    show_default=True,
    help="How units are clustered.",
)
@click.option(
    "--k",
    type=int,
    default=None,
    help="Number of topics: k-means' clusters, or at most this many topics merged from "
    "HDBSCAN's clusters (default: sqrt(units) / 4, 2 to 30).",
)
@click.option(
    "--reduce-outliers",
    is_flag=True,
    help="Move every HDBSCAN outlier to its nearest topic (by embedding).",
)
@click.option(
    "--stability",
    type=int,
    default=0,
    metavar="N",
    help="Fit with N seeds (seed, seed+1, ...) and report the mean adjusted Rand "
    "index between the runs.",
)
@click.option("--docs", multiple=True, metavar="DOCS", help="Documents: names, globs, ranges.")
@click.option("--where", multiple=True, metavar="ATTRIBUTE=VALUE", help="Only these cases' docs.")
@coder_option
@by_option
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the files (default: report/topics in the project).",
)
@click.pass_context
def run_(ctx: click.Context, /, **options: Any) -> None:
    """Model the topics of participants' segments or turns and store the run.

    Needs at least 20 units. Writes topics.csv, topic-codes.csv, prevalence CSVs,
    units.csv, an interactive topics.html (opens offline) and topics.png/.svg.

    Example:

    \b
        qualmine topics run --seed 7 --stability 3
        qualmine topics run --unit turn --method kmeans --k 12 -o out/topics
    """
    from qualmine.topics import TopicRequest, run_topics
    from qualmine.topics.tables import coherence_table

    request = TopicRequest(**options)
    project = current_project(ctx)
    with progress_bar("topics") as progress:
        result = run_topics(
            project, request, actor=acting_coder(ctx, required=False), progress=progress
        )
    emit_tables([coherence_table(result.view)], "table", None)
    for line in run_lines(result):
        console.print(line, markup=False)


def run_lines(result: TopicRunResult) -> list[str]:
    """What a topic run did, a line a fact."""
    from qualmine.topics.tables import stability_text

    view = result.view
    info = view.run.info
    r = info.results
    lines = [
        f"topic run {info.id}: {r['n_units']} {info.unit}s of participant speech in "
        f"{r['documents']} documents; {r['n_topics']} topics, {r['outliers']} outliers",
        f"seed {info.seed}; UMAP seeded, so it ran on one thread",
        f"embeddings: {result.embedded.computed} computed, {result.embedded.cached} from the cache",
        f"coherence (mean over topics): NPMI {info.figure('coherence', 'overall_npmi'):.3f}, "
        f"C_V {info.figure('coherence', 'overall_c_v'):.3f}",
    ]
    if r.get("stability"):
        lines.append(f"stability: {stability_text(info)}")
    if view.alignment is not None:
        labelled = sum(1 for a in view.alignment.topics if a.status == "code")
        emergent = sum(1 for a in view.alignment.topics if a.emergent)
        lines.append(
            f"codebook ({view.coder}): {labelled} topics matched a code, {emergent} emergent"
        )
    lines.append("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items()))
    lines.append(f"wrote {len(result.files)} files to {result.folder}")
    return lines


@topics.command("list")
@format_option
@output_option
@click.pass_context
def list_(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """List the stored topic runs with their settings and figures.

    Example:

    \b
        qualmine topics list --format csv
    """
    from qualmine.topics import list_topic_runs
    from qualmine.topics.tables import runs_table

    with current_project(ctx).session() as conn:
        infos = list_topic_runs(conn)
    emit_tables([runs_table(infos)], fmt, output)


@topics.command("suggest-codes")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The draft codebook YAML to write.",
)
@click.option("--run", "run_id", type=int, default=None, help="The topic run (default: newest).")
@coder_option
@click.pass_context
def suggest_codes(ctx: click.Context, output: Path, run_id: int | None, coder: str | None) -> None:
    """Write emergent topics as draft codebook entries (YAML); nothing is applied.

    A topic is emergent when the coder coded its units at under half the rate of all
    units. Without codings to compare with, every topic is drafted.

    Example:

    \b
        qualmine topics suggest-codes -o draft.yaml
        qualmine codebook validate draft.yaml
    """
    from qualmine.topics import load_topic_view, write_draft

    view = load_topic_view(current_project(ctx), run_id, coder)
    count = write_draft(view, output)
    console.print(
        f"wrote {output}: {count} draft code(s) from topic run {view.run.info.id}; "
        "review them before copying any into the codebook",
        markup=False,
    )
