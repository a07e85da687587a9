"""Tax identifiers per market, checked with python-stdnum."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.ar import cuit
from stdnum.br import cnpj, cpf
from stdnum.cl import rut
from stdnum.co import nit
from stdnum.ec import ruc as ec_ruc
from stdnum.es import nif
from stdnum.eu import vat as eu_vat
from stdnum.mx import rfc
from stdnum.pe import ruc as pe_ruc
from stdnum.uy import rut as uy_rut


@dataclass(frozen=True, slots=True)
class TaxIdScheme:
    name: str
    example: str
    validate: Callable[[str], str]
    format: Callable[[str], str]
    # A second number the market accepts for a person (Brazil: CPF beside CNPJ),
    # told apart from the first by its compact form.
    person_name: str | None = None
    is_person: Callable[[str], bool] | None = None

    @property
    def names(self) -> str:
        """What the field accepts, for messages in any language: "RUT", "CNPJ/CPF"."""
        return f"{self.name}/{self.person_name}" if self.person_name else self.name

    def name_of(self, compact: str) -> str:
        """The name of this very number: a Brazilian person's is a CPF."""
        if self.person_name and self.is_person is not None and self.is_person(compact):
            return self.person_name
        return self.name


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


def _br_is_person(number: str) -> bool:
    return len(str(cnpj.compact(number))) == 11


def _br_validate(number: str) -> str:
    # A company's CNPJ has 14 characters (letters allowed from July 2026); a
    # person's CPF has 11 digits.
    if _br_is_person(number):
        return str(cpf.validate(number))
    return str(cnpj.validate(number))


def _br_format(number: str) -> str:
    return str(cpf.format(number) if _br_is_person(number) else cnpj.format(number))


SCHEMES: dict[str, TaxIdScheme] = {
    "AR": TaxIdScheme("CUIT", "20-26756539-3", cuit.validate, cuit.format),
    "MX": TaxIdScheme("RFC", "GODE561231GR8", _mx_validate, lambda n: str(rfc.compact(n))),
    "EC": TaxIdScheme("RUC", "1790011674001", ec_ruc.validate, lambda n: str(ec_ruc.compact(n))),
    "CO": TaxIdScheme("NIT", "860.012.336-1", nit.validate, nit.format),
    "CL": TaxIdScheme("RUT", "76.086.428-5", rut.validate, rut.format),
    "PE": TaxIdScheme("RUC", "20100070970", pe_ruc.validate, lambda n: str(pe_ruc.compact(n))),
    "ES": TaxIdScheme("NIF", "B12345674", _es_validate, _es_format),
    "UY": TaxIdScheme("RUT", "21-100342-001-7", uy_rut.validate, uy_rut.format),
    "BR": TaxIdScheme("CNPJ", "16.727.230/0001-97", _br_validate, _br_format,
                      person_name="CPF", is_person=_br_is_person),
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
        reason = "it has characters or a structure a " + scheme.names + " cannot have"
    except stdnum_errors.InvalidComponent:
        reason = "a part of it (date, type or region) is not valid"
    except stdnum_errors.ValidationError:
        reason = "it is not valid"
    raise InvalidTaxId(
        f"{number!r} is not a valid {scheme.names} for {market}: {reason} "
        f"(example of the expected form: {scheme.example})"
    )


def display_tax_id(market: str, compact: str) -> str:
    return SCHEMES[market].format(compact)


def tax_id_name(market: str, compact: str) -> str:
    """What a stored number is called on a document: CUIT, RFC… CNPJ or a person's CPF."""
    return SCHEMES[market].name_of(compact)
