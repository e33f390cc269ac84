"""Rendering the catalog site from a Site made by hand (no AWS): the files, escaping, relative
links that resolve, the embedded search index, the chart, both languages."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cornlake_toolkit.errors import UsageError
from cornlake_toolkit.site import model as m
from cornlake_toolkit.site import render_site

BUILT = "2026-11-23T12:00:00+00:00"


def batch(n: int, failed: int) -> m.BatchQuality:
    return m.BatchQuality(
        f"20261120T12000{n}Z-0123456789ab", f"2026-11-2{n}T12:00:00+00:00", 5 - failed, failed, failed
    )


def dataset(table: str = "erp_vendas", description: str = "Vendas diárias") -> m.Dataset:
    source, _, name = table.partition("_")
    history = (
        m.RuleRun(True, 38, 0, "0 of 38 outside", "2026-11-21T12:00:00+00:00", "i1"),
        m.RuleRun(False, 2, 1, "1 of 2 outside", "2026-11-22T12:00:00+00:00", "i2"),
    )
    return m.Dataset(
        source=source,
        dataset=name,
        table=table,
        database="cornlake_local",
        description=description,
        owner="financeiro-dados@cornlake.example",
        format="csv",
        columns=(
            m.Column("id_venda", "bigint", "Número da venda", nullable=False, primary_key=True),
            m.Column("cliente", "string", "Nome do cliente", pii=True),
            m.Column("_ingest_id", "string", role="lineage"),
        ),
        partitions=m.Partitions(
            "mes_venda", "data_venda", "month", (m.Partition("2026-11", 1234, BUILT),), 1
        ),
        row_count=1234,
        freshness=m.Freshness("late", "2026-11-20T12:00:00+00:00", "1d", "6h", "2026-11-21T18:00:00+00:00"),
        quality=m.Quality(
            (m.Rule("accepted_values:uf", "accepted_values", "error", "∈ {AC, AL}", history),),
            (batch(1, 0), batch(2, 1), batch(3, 2)),
        ),
        lineage=m.Lineage(
            m.Node("source", source, (("via_landing", "2"),)),
            m.Node("raw", f"source={source}/dataset={name}/"),
            m.Node("curated", f"cornlake_local.{table}"),
            m.Node("quarantine", f"source={source}/dataset={name}/"),
            (m.Node("view", f"cornlake_local.{table}_latest"),),
        ),
        quarantine=m.Quarantine(
            "bucket",
            3,
            (
                m.Reason("expected an integer", "quantidade", 2, "dez"),
                m.Reason("expected text", "cliente", 1, ""),
            ),
            1,
            1,
        ),
        examples=(
            m.Example("preview", f"SELECT *\nFROM cornlake_local.{table}\nWHERE mes_venda = '2026-11'"),
        ),
        runs=(m.Run("r1", "transform", "partial", source, name, "source=x/y.csv", 40, 38, 2, BUILT, 1500),),
        cataloged=True,
    )


def site(*datasets: m.Dataset) -> m.Site:
    failure = m.Run(
        "r2", "transform", "rejected", "ref", "lojas", "k", 0, 0, 0, BUILT, 88, "invalid utf-8 bytes"
    )
    return m.Site(
        "local", "cornlake-local", "us-east-1", "cornlake_local", "cornlake_local_ops", BUILT, 90,
        datasets=datasets or (dataset(),),
        recent_runs=(*datasets[0].runs, failure) if datasets else (failure,),
        failures=(failure,),
        stages=(m.StageSummary("transform", 2, (("partial", 1), ("rejected", 1))),),
        notes=("quality results: the table is not there yet",),
    )  # fmt: skip


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k in ("href", "src") and v]


def test_the_site_is_files_whose_links_all_resolve_from_disk(tmp_path: Path) -> None:
    index = render_site(site(dataset(), dataset("ref_lojas", "Cadastro de lojas")), tmp_path)
    assert index == tmp_path / "index.html"
    pages = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html"))
    assert pages == ["datasets/erp_vendas.html", "datasets/ref_lojas.html", "index.html", "runs.html"]
    for page in tmp_path.rglob("*.html"):
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            assert not link.startswith(("/", "http:", "https:", "//")), (page, link)  # offline, any prefix
            if link.startswith(("mailto:", "#")):
                continue
            target = (page.parent / link.split("#")[0].split("?")[0]).resolve()
            assert target.is_file(), (page.name, link)


def test_the_index_embeds_a_search_index_and_escapes_what_it_shows(tmp_path: Path) -> None:
    nasty = 'Vendas <script>alert("x")</script> & devoluções'
    render_site(site(dataset(description=nasty)), tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    embedded = re.search(r'<script type="application/json" id="search-index">(.*?)</script>', html, re.S)
    assert embedded is not None
    [entry] = json.loads(embedded.group(1))
    assert entry["href"] == "datasets/erp_vendas.html" and nasty in entry["text"]
    assert {"name": "cliente", "type": "string", "description": "Nome do cliente", "pii": True} in entry[
        "columns"
    ]
    assert "3 of 3" not in html and "1 of 1 datasets" in html


def test_a_dataset_page_shows_its_facts(tmp_path: Path) -> None:
    render_site(site(), tmp_path)
    html = (tmp_path / "datasets" / "erp_vendas.html").read_text(encoding="utf-8")
    cliente = html[html.index('data-column="cliente"') : html.index('data-column="_ingest_id"')]
    assert "badge pii" in cliente and "PII" in cliente
    assert "badge pii" not in html[html.index('data-column="id_venda"') : html.index('data-column="cliente"')]
    assert "fresh-late" in html and "1 d" in html and "6 h" in html
    assert html.count('class="dot dot-') == 3 and "<polyline" in html  # one point per batch
    assert html.count('class="cell cell-') == 2 and "cell-fail" in html
    assert "cornlake_local.erp_vendas_latest" in html and "files through the landing bucket" in html
    assert "hidden (PII)" in html and ">dez<" in html
    assert 'data-copy="#sql-1"' in html and "WHERE mes_venda = &#39;2026-11&#39;" in html
    assert "1,234" in html and "1.5 s" in html


def test_portuguese_labels_numbers_and_dates(tmp_path: Path) -> None:
    render_site(site(), tmp_path, lang="pt-BR")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    page = (tmp_path / "datasets" / "erp_vendas.html").read_text(encoding="utf-8")
    assert '<html lang="pt-BR">' in index and "Conjuntos de dados" in index and "Buscar conjuntos" in index
    assert "Atrasado" in page and "Linhagem" in page and "dado pessoal" in page and "Copiar" in page
    assert "1.234" in page and "1,5 s" in page and "20/11/2026 12:00 UTC" in page
    assert "Datasets" not in page and "Schema" not in page


def test_the_runs_page_lists_failures_and_notes(tmp_path: Path) -> None:
    render_site(site(), tmp_path)
    html = (tmp_path / "runs.html").read_text(encoding="utf-8")
    failures = html[html.index('id="failures"') : html.index('id="recent"')]
    assert "status-rejected" in failures and "invalid utf-8 bytes" in failures
    assert 'data-failed="true"' in html and 'data-filter="failed"' in html
    assert "the table is not there yet" in html


def test_pages_of_datasets_gone_are_removed_and_broken_contracts_get_none(tmp_path: Path) -> None:
    render_site(site(dataset(), dataset("ref_lojas")), tmp_path)
    (tmp_path / "datasets" / "notes.txt").write_text("mine")
    broken = m.Dataset("x", "y", "x_y", "cornlake_local", error="datasets/x/y.yaml: field 'owner' is invalid")
    render_site(site(dataset(), broken), tmp_path)
    assert sorted(p.name for p in (tmp_path / "datasets").iterdir()) == ["erp_vendas.html", "notes.txt"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "field &#39;owner&#39; is invalid" in index and "Contract does not load" in index


def test_a_file_as_the_folder_or_an_unknown_language_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="is a file"):
        render_site(site(), tmp_path / "file")
    with pytest.raises(UsageError, match="no labels for language 'fr'") as err:
        render_site(site(), tmp_path / "out", lang="fr")
    assert "pt-BR" in err.value.hint
