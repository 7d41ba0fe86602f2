"""The example study at the repository's top level: its files, its coding, its yardstick."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, invoke
from qualmine.analysis.cases import case_codes, descendants
from qualmine.analysis.code_agreement import agreement_by_code, overall
from qualmine.analysis.corpus import CorpusFilter, load_corpus
from qualmine.analysis.overlap import codes_per_unit
from qualmine.codebook import load_codebook
from qualmine.project.config import find_project

CODEBOOK = REPO / "codebooks" / "study.yaml"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example") / "study"
    folder.mkdir()
    for name in ("transcripts", "codebooks", "codings", "findings"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copy(REPO / "qualmine.toml", folder / "qualmine.toml")
    runner = CliRunner()
    for args in (
        ["import", str(folder / "transcripts")],
        ["codings", "import", str(folder / "codings" / "reference.csv")],
        ["codings", "import", str(folder / "codings" / "second.csv")],
    ):
        result = invoke(runner, folder, *args)
        assert result.exit_code == 0, result.output
    return folder


def test_the_study_codebook_validates(runner: CliRunner) -> None:
    from qualmine.cli import cli

    result = runner.invoke(cli, ["codebook", "validate", str(CODEBOOK), "--strict"])
    assert result.exit_code == 0, result.output
    assert "valid, 30 codes" in result.output


def test_twelve_documents_twelve_cases(study: Path, runner: CliRunner) -> None:
    docs = invoke(runner, study, "documents", "--format", "csv").output.strip().splitlines()
    assert len(docs) == 13
    cases = invoke(runner, study, "cases", "--format", "csv").output.strip().splitlines()
    assert [line.split(",")[0] for line in cases[1:]] == [f"P{i:02d}" for i in range(1, 13)]
    rows = {row["case"]: row for row in csv.DictReader(io.StringIO("\n".join(cases)))}
    p05 = rows["P05"]
    assert p05["country"] == "Germany" and p05["age_band"] == "36-45"


def test_every_theme_for_eight_participants_and_every_code_used(study: Path) -> None:
    corpus = load_corpus(find_project(explicit=study), CorpusFilter(coders=("reference",)))
    carried = case_codes(corpus)
    codebook = corpus.codebook
    for theme in codebook.children(None):
        family = descendants(codebook, theme.id)
        cases = {case for case, codes in carried.items() if codes & family}
        assert len(cases) >= 8, (theme.id, sorted(cases))
    used = {c.code for c in corpus.codings}
    codable = {c.id for c in codebook.codes if c.codable}
    # Parents that group stance sub-codes are applied only where no side is taken.
    assert codable - used <= {"trust.offline"}, sorted(codable - used)


def test_the_readme_reports_the_coders_agreement(study: Path) -> None:
    corpus = load_corpus(
        find_project(explicit=study),
        CorpusFilter(coders=("reference", "second"), statuses=("accepted", "suggested")),
    )
    both = corpus.done["reference"] & corpus.done["second"]
    units = [(u.document_id, u.start, u.end) for u in corpus.units if u.document_id in both]
    ref = codes_per_unit(units, [c for c in corpus.codings if c.coder == "reference"])
    sec = codes_per_unit(units, [c for c in corpus.codings if c.coder == "second"])
    codes = [c.id for c in corpus.codebook.codes if c.codable]
    presence = {code: [[int(code in ref[u]), int(code in sec[u])] for u in units] for code in codes}
    summary = overall(agreement_by_code(presence, unit="segment"))
    readme = (REPO / "transcripts" / "README.md").read_text(encoding="utf-8")

    def figure(label: str) -> str:
        match = re.search(rf"\| {re.escape(label)} \| ([0-9.]+) \|", readme)
        assert match, label
        return match.group(1)

    assert int(figure("units (participant segments in the 6 documents)")) == len(units)
    assert figure("mean Krippendorff's alpha over codes") == f"{summary.mean_alpha:.3f}"
    assert figure("pooled Krippendorff's alpha") == f"{summary.pooled_alpha:.3f}"
    assert figure("mean Cohen's kappa over codes") == f"{summary.mean_cohen:.3f}"


def test_no_codebook_example_appears_in_any_transcript() -> None:
    codebook = load_codebook(CODEBOOK)
    texts = []
    for path in sorted((REPO / "transcripts").iterdir()):
        if path.suffix in {".md", ".txt", ".vtt", ".srt"}:
            texts.append(path.read_text(encoding="utf-8"))
    texts.append((REPO / "scripts" / "docx_sources" / "P07.md").read_text(encoding="utf-8"))
    corpus = " ".join(" ".join(t.split()).lower() for t in texts)
    for code in codebook.codes:
        for example in code.examples:
            quote = " ".join(example.quote.split()).lower().strip("\"'")
            assert quote not in corpus, (code.id, example.quote)


def test_the_notice_is_metadata_never_speech(study: Path) -> None:
    from qualmine.storage.documents import all_documents, document_turns

    with find_project(explicit=study).session() as conn:
        for doc in all_documents(conn):
            assert "illustrative" in str(doc.metadata).lower(), doc.name
            for turn in document_turns(conn, doc.id):
                assert "qualmine example study" not in doc.text[turn.start : turn.end]
