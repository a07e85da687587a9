"""Tax identifiers per market, checked with python-stdnum."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.ar import cuit
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.ec import ruc as ec_ruc
from stdnum.es import nif
from stdnum.eu import vat as eu_vat
from stdnum.mx import rfc
from stdnum.pe import ruc as pe_ruc


@dataclass(frozen=True, slots=True)
class TaxIdScheme:
    name: str
    example: str
    validate: Callable[[str], str]
    format: Callable[[str], str]


def _mx_validate(number: str) -> str:
    # The default skips the RFC check digit; we want it checked.
    return str(rfc.validate(number, validate_check_digits=True))


def _es_validate(number: str) -> str:
    compact = number.strip().upper().replace(" ", "").replace("-", "")
    if compact.startswith("ES"):
        return "ES" + str(eu_vat.validate(compact))[2:]
    return str(nif.validate(compact))


def _es_format(number: str) -> str:
    return number if number.startswith("ES") else str(nif.compact(number))


SCHEMES: dict[str, TaxIdScheme] = {
    "AR": TaxIdScheme("CUIT", "20-26756539-3", cuit.validate, cuit.format),
    "MX": TaxIdScheme("RFC", "GODE561231GR8", _mx_validate, lambda n: str(rfc.compact(n))),
    "EC": TaxIdScheme("RUC", "1790011674001", ec_ruc.validate, lambda n: str(ec_ruc.compact(n))),
    "CO": TaxIdScheme("NIT", "860.012.336-1", nit.validate, nit.format),
    "CL": TaxIdScheme("RUT", "76.086.428-5", rut.validate, rut.format),
    "PE": TaxIdScheme("RUC", "20100070970", pe_ruc.validate, lambda n: str(pe_ruc.compact(n))),
    "ES": TaxIdScheme("NIF", "B12345674", _es_validate, _es_format),
}


class InvalidTaxId(ValueError):
    pass


@lru_cache(maxsize=8192)
def compact_tax_id(market: str, number: str) -> str:
    """Validate `number` for `market` and return its compact form, or raise InvalidTaxId.

    Cached: the check is pure, costs more than the rest of validating a request,
    and the same clients come back in quote after quote."""
    scheme = SCHEMES[market]
    try:
        return str(scheme.validate(number))
    except stdnum_errors.InvalidChecksum:
        reason = "its check digit is wrong"
    except stdnum_errors.InvalidLength:
        reason = "it has the wrong number of characters"
    except stdnum_errors.InvalidFormat:
        reason = "it has characters or a structure a " + scheme.name + " cannot have"
    except stdnum_errors.InvalidComponent:
        reason = "a part of it (date, type or region) is not valid"
    except stdnum_errors.ValidationError:
        reason = "it is not valid"
    raise InvalidTaxId(
        f"{number!r} is not a valid {scheme.name} for {market}: {reason} "
        f"(example of the expected form: {scheme.example})"
    )


def display_tax_id(market: str, compact: str) -> str:
    return SCHEMES[market].format(compact)
