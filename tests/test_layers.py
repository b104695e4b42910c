"""The layers of pyproject.toml's import contracts hold, and the check would see an upward import."""
import copy
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application.use_cases import read_user_options
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
CONTRACT_TYPES = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
    "acyclic_siblings": AcyclicSiblingsContract,
}
APP_LAYERS = (
    "Apps import downward only: curation over facts over the ledger over keys over the HTTP helpers over the core"
)


@pytest.fixture(scope="module")
def user_options():
    configuration.configure()
    return read_user_options(config_filename=str(PYPROJECT))


@pytest.fixture(scope="module")
def graph(user_options):
    return grimp.build_graph(*user_options.session_options["root_packages"], include_external_packages=True)


def contracts(user_options):
    for options in user_options.contracts_options:
        contract_class = CONTRACT_TYPES[options["type"]]
        yield contract_class(
            name=options["name"], session_options=user_options.session_options, contract_options=options
        )


def test_every_contract_is_kept(user_options, graph):
    checked = {
        contract.name: contract.check(copy.deepcopy(graph), verbose=False).kept for contract in contracts(user_options)
    }
    assert len(checked) == 5
    assert all(checked.values()), [name for name, kept in checked.items() if not kept]


@pytest.mark.parametrize(
    "importer, imported",
    [
        ("faces.services", "identities.services.files"),  # facts reaching up into curation
        ("history.recording", "faces.models"),  # the ledger knowing an app
        ("momentry.core.errors", "momentry.api.exceptions"),  # the core knowing HTTP
    ],
)
def test_an_upward_import_breaks_the_app_layers(user_options, graph, importer, imported):
    broken = copy.deepcopy(graph)
    broken.add_import(importer=importer, imported=imported, line_number=1, line_contents="import")
    (layers,) = [contract for contract in contracts(user_options) if contract.name == APP_LAYERS]
    assert not layers.check(broken, verbose=False).kept


def test_a_service_importing_the_http_layer_breaks_the_domain_contract(user_options, graph):
    broken = copy.deepcopy(graph)
    broken.add_import(
        importer="identities.services.editing", imported="rest_framework", line_number=1, line_contents="import"
    )
    results = {contract.name: contract.check(broken, verbose=False).kept for contract in contracts(user_options)}
    assert [name for name, kept in results.items() if not kept] == [
        "Domain code knows no HTTP framework: services, selectors, the ledger and the core answer no request"
    ]


def test_the_wsgi_entry_importing_an_app_breaks_the_project_package_contract(user_options, graph):
    """The layers allow the entry points above the apps, but `momentry` is also the core below
    them: one such import closes a cycle of the apps as wholes (momentry -> identities -> momentry)."""
    broken = copy.deepcopy(graph)
    broken.add_import(
        importer="momentry.wsgi", imported="identities.services.files", line_number=1, line_contents="import"
    )
    results = {contract.name: contract.check(broken, verbose=False).kept for contract in contracts(user_options)}
    assert [name for name, kept in results.items() if not kept] == [
        "The project package imports no app, so the apps as wholes form no cycle: entry points reach them "
        "through URL strings and signals"
    ]
