"""Deterministic, realistic demo data, generated without touching a database.

``generate_demo`` is a pure function of its arguments: the same customers, seed, as-of date and
first ids give identical rows, so a demo, a benchmark and a test all see the same book. Each
customer follows one hidden profile — healthy, slowly deteriorating, sudden default or seasonal —
that drives its statements, payments, ratings and legal events together, the way a credit manager
sees risk unfold. The profile is returned as its own table (``demo_profiles``) and never leaks into
a business column, so tests can check that scores and rules rank the profiles correctly.

The heavy tables (invoices, payments, orders, statements) are drawn as NumPy arrays, one value per
row, so ten thousand customers take seconds rather than minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from stdnum.cn import ric

from fengkong.customers.uscc import check_digit
from fengkong.demo import vocabulary as words
from fengkong.reference.classifications import regions

Array = npt.NDArray[Any]


class Profile(StrEnum):
    HEALTHY = "healthy"
    SLOWLY_DETERIORATING = "slowly_deteriorating"
    SUDDEN_DEFAULT = "sudden_default"
    SEASONAL = "seasonal"


PROFILE_SHARES: Mapping[Profile, float] = {
    Profile.HEALTHY: 0.60,
    Profile.SLOWLY_DETERIORATING: 0.15,
    Profile.SUDDEN_DEFAULT: 0.07,
    Profile.SEASONAL: 0.18,
}
_PROFILES = tuple(PROFILE_SHARES)
_HEALTHY, _DETERIORATING, _DEFAULTING, _SEASONAL = range(4)

TABLES: tuple[str, ...] = (
    "customers",
    "customer_contacts",
    "related_parties",
    "contracts",
    "orders",
    "invoices",
    "payments",
    "payment_allocations",
    "financial_statements",
    "credit_reports",
    "legal_events",
    "demo_profiles",
)
"""Every table the demo writes, parents before children (the order inserts must follow)."""

HISTORY_MONTHS = 36
# Statements are year-to-date, so the quarters of the fiscal year before the window are drawn too.
_PRE_MONTHS = 16
_GRID = _PRE_MONTHS + HISTORY_MONTHS
_MIN_INVOICE_MINOR = 50_000
_ONE_DAY = np.timedelta64(1, "D")
_SUPPLIER_PROVINCE = "31"  # we issue our 发票 in Shanghai; digits 3–4 of an invoice number
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_LEGACY_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation-code check weights
# Coprime to 10 and 31, so ``id * _SCRAMBLE mod 31**7`` (and mod 10**8) is a bijection: codes look
# random yet two customer ids can never share an organisation code, across loads too.
_SCRAMBLE = 2_654_435_761


@dataclass(frozen=True, slots=True)
class TableRows:
    """One table's rows as columns of equal length, plus each row's business date.

    ``occurred_on`` is when the row happened in business time (an invoice's issue date, a
    statement's publication); the loader stamps outbox events and timestamps with it.
    """

    table: str
    columns: Mapping[str, Array]
    occurred_on: Array

    def __len__(self) -> int:
        return len(self.occurred_on)

    def column(self, name: str) -> list[Any]:
        """A column as plain Python values (ints, strings, ``date``s, ``None``)."""
        return list(self.columns[name].tolist())


@dataclass(frozen=True, slots=True)
class DemoData:
    seed: int
    as_of: date
    tables: Mapping[str, TableRows]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


SALES_BOOK_EVERY = 4


def generate_demo(
    *,
    customers: int,
    seed: int,
    as_of: date,
    first_ids: Mapping[str, int] | None = None,
    owner_id: int | None = None,
) -> DemoData:
    """Draw ``customers`` demo customers and three years of their history up to ``as_of``.

    ``first_ids`` gives each table's first free id (default 1) so the rows can be appended to a
    database that already holds data.
    """
    if customers < 1:
        raise ValueError("a demo needs at least one customer")
    ids = dict.fromkeys(TABLES, 1) | dict(first_ids or {})
    builder = _Builder(customers=customers, seed=seed, as_of=as_of, ids=ids, owner_id=owner_id)
    contracts = builder.contracts()  # invoices refer to the contract they were billed under
    orders, invoices, payments, allocations = builder.receivables()
    tables = {
        "customers": builder.customers(),
        "customer_contacts": builder.contacts(),
        "related_parties": builder.related_parties(),
        "contracts": contracts,
        "orders": orders,
        "invoices": invoices,
        "payments": payments,
        "payment_allocations": allocations,
        "financial_statements": builder.financial_statements(),
        "credit_reports": builder.credit_reports(),
        "legal_events": builder.legal_events(),
        "demo_profiles": builder.profiles(),
    }
    return DemoData(seed=seed, as_of=as_of, tables={name: tables[name] for name in TABLES})


def _exact_counts(total: int, shares: Mapping[Profile, float]) -> list[int]:
    """Split ``total`` by ``shares`` exactly (largest remainder), so small demos keep the mix."""
    raw = [total * share for share in shares.values()]
    counts = [int(value) for value in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _weighted(rng: np.random.Generator, weights: list[float], size: int) -> Array:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _month_of_year(months: Array) -> Array:
    """1–12 for ``datetime64[M]`` values (the epoch month, 1970-01, is a January)."""
    return months.astype(np.int64) % 12 + 1


def _days(values: Array) -> Array:
    return values.astype("timedelta64[D]")


def _strings(values: list[str]) -> Array:
    return np.array(values, dtype=object)


def _nullable(values: Array, present: Array) -> Array:
    out = values.astype(object)
    out[~present] = None
    return out


def _year(days: Any) -> Any:
    """The calendar year of ``datetime64`` values, a scalar or an array like ``days``."""
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def _compact_dates(dates: Array) -> list[str]:
    return [text.replace("-", "") for text in np.datetime_as_string(dates).tolist()]


def _legacy_organisation_code(number: int) -> str:
    """An 8-digit pre-2015 organisation code plus its GB 11714 check character."""
    digits = f"{number:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, _LEGACY_WEIGHTS, strict=True)) % 11
    return digits + {10: "X", 11: "0"}.get(check, str(check))


def _market_organisation_code(number: int) -> str:
    """A post-2015 code as market regulators issue them: ``MA`` and seven USCC characters."""
    chars = []
    for _ in range(7):
        number, digit = divmod(number, len(_USCC_ALPHABET))
        chars.append(_USCC_ALPHABET[digit])
    return "MA" + "".join(reversed(chars))


class _Builder:
    """Draws the customer population once, then each table from it.

    Every table has its own random stream, so changing how one table is drawn leaves the others
    as they were for the same seed.
    """

    def __init__(
        self,
        *,
        customers: int,
        seed: int,
        as_of: date,
        ids: Mapping[str, int],
        owner_id: int | None,
    ) -> None:
        streams = np.random.default_rng(seed).spawn(11)
        (
            self._population_rng,
            self._names_rng,
            self._contacts_rng,
            self._groups_rng,
            self._contracts_rng,
            self._receivables_rng,
            self._statements_rng,
            self._reports_rng,
            self._legal_rng,
            self._address_rng,
            self._identity_rng,
        ) = streams
        self.n = customers
        self.seed = seed
        self.ids = ids
        self.owner_id = owner_id
        self.as_of = np.datetime64(as_of, "D")
        self.start_month = self.as_of.astype("datetime64[M]") - (HISTORY_MONTHS - 1)
        self.start = self.start_month.astype("datetime64[D]")
        self.customer_ids = ids["customers"] + np.arange(customers, dtype=np.int64)
        self._draw_population()
        self._draw_groups()
        self._draw_identity()

    # -- population -------------------------------------------------------------------------

    def _draw_population(self) -> None:
        rng, n = self._population_rng, self.n
        counts = _exact_counts(n, PROFILE_SHARES)
        self.profile = rng.permutation(np.repeat(np.arange(len(_PROFILES)), counts))
        profile = self.profile
        self.seasonal = profile == _SEASONAL
        self.deteriorating = profile == _DETERIORATING
        self.defaulting = profile == _DEFAULTING

        # Credit quality in [0, 1]: the latent every observable (ratios, DPD, ratings) derives
        # from. Healthy customers span strong to middling so scores spread over several grades.
        self.base_quality = np.select(
            [profile == _HEALTHY, self.seasonal, self.deteriorating],
            [
                0.45 + 0.5 * rng.beta(2.2, 1.6, n),
                0.40 + 0.4 * rng.beta(2.0, 2.0, n),
                0.50 + 0.3 * rng.beta(2.0, 2.0, n),
            ],
            0.45 + 0.35 * rng.beta(2.0, 2.0, n),
        )
        self.onset_month = rng.integers(4, 21, n)  # deterioration starts, months into the window
        self.end_quality = rng.uniform(0.08, 0.25, n)
        self.target_dpd = rng.integers(70, 121, n)
        self.default_on = self.as_of - _days(rng.integers(120, 271, n))
        self.invoicing_stops_on = self.default_on + _days(rng.integers(10, 50, n))
        self.default_month = (self.default_on.astype("datetime64[M]") - self.start_month).astype(
            np.int64
        )
        self.quality = self._quality_paths(rng)

        log_revenue = rng.normal(np.log(1.2e8), 1.0, n) + 1.2 * (self.base_quality - 0.65)
        self.revenue = np.clip(np.exp(log_revenue), 8e6, 3e10)
        growth = -0.18 + 0.32 * self.quality
        cumulative = np.cumsum(growth / 12, axis=1)
        self.level = self.revenue[:, None] * np.exp(
            cumulative - cumulative[:, _PRE_MONTHS : _PRE_MONTHS + 1]
        )

        self.seasonal_trades = [i for i, t in enumerate(words.TRADES) if t.peak_month]
        self.trade = self._draw_trades(rng, np.ones(n, dtype=bool))
        self.division = np.array(
            [rng.choice(words.TRADES[t].divisions) for t in self.trade.tolist()], dtype=np.int64
        )
        peaks = np.array([words.TRADES[t].peak_month or 1 for t in self.trade.tolist()])
        self.buying_peak = (peaks - 1 + rng.integers(-1, 2, n)) % 12 + 1
        self.season_amplitude = np.where(self.seasonal, rng.uniform(0.5, 0.9, n), 0.0)
        self.season_strain = rng.uniform(0.6, 1.0, n)

        self.terms = rng.choice(np.array([30, 60, 90]), size=n, p=[0.5, 0.35, 0.15])
        self.invoice_rate = np.clip(
            np.exp(rng.normal(np.log(0.85), 0.4, n)) * (self.revenue / 1.2e8) ** 0.12, 0.3, 3.0
        )
        share = np.clip(np.exp(rng.normal(np.log(0.012), 0.6, n)), 0.002, 0.06)
        self.annual_purchases = self.revenue * share
        self.payment_run_day = np.where(
            rng.random(n) < 0.3, rng.choice(np.array([10, 15, 20, 25]), size=n), 0
        )
        self.acceptance_bill_share = rng.uniform(0.05, 0.4, n)
        self.has_contract = rng.random(n) < np.clip(
            0.15 + 0.1 * np.log10(self.revenue / 1e7), 0, 0.6
        )

        span = (self.start - np.datetime64("1993-01-01")).astype(np.int64) - 730
        self.established_on = np.datetime64("1993-01-01") + _days(
            (rng.beta(1.6, 1.2, n) * span).astype(np.int64)
        )
        self.customer_since = np.maximum(
            self.established_on + _days(np.full(n, 180)),
            self.start - _days(rng.integers(30, 2500, n)),
        )

    def _quality_paths(self, rng: np.random.Generator) -> Array:
        """Monthly credit quality per customer over the grid (the window plus a year before)."""
        n = self.n
        tau = np.arange(-_PRE_MONTHS, HISTORY_MONTHS)[None, :]
        base = self.base_quality[:, None]
        period = rng.uniform(8, 20, n)[:, None]
        phase = rng.uniform(0, 2 * np.pi, n)[:, None]
        wiggle = 0.025 * np.sin(2 * np.pi * tau / period + phase) + rng.normal(0, 0.008, (n, _GRID))
        onset = self.onset_month[:, None]
        progress = np.clip((tau - onset) / (HISTORY_MONTHS - 1 - onset), 0, 1)
        deteriorating = base - (base - self.end_quality[:, None]) * progress
        # Sudden defaults look fine until a quarter before: a small dip, then the fall.
        default_month = self.default_month[:, None]
        dip = np.clip((tau - (default_month - 3)) / 3, 0, 1)
        defaulting = np.where(tau >= default_month, 0.04, base - 0.15 * dip)
        quality = np.select(
            [self.deteriorating[:, None], self.defaulting[:, None]],
            [deteriorating, defaulting],
            base,
        )
        return np.clip(quality + wiggle, 0.02, 0.98)

    def _draw_trades(self, rng: np.random.Generator, which: Array) -> Array:
        """Seasonal customers come from seasonal trades; the rest from the whole economy."""
        weights = [t.weight for t in words.TRADES]
        seasonal_weights = [words.TRADES[i].weight for i in self.seasonal_trades]
        size = int(which.sum())
        general = _weighted(rng, weights, size)
        seasonal = np.asarray(self.seasonal_trades)[_weighted(rng, seasonal_weights, size)]
        return np.where(self.seasonal[which], seasonal, general)

    def _quality_at(self, customer: Array, dates: Array) -> Array:
        month = (dates.astype("datetime64[M]") - self.start_month).astype(np.int64) + _PRE_MONTHS
        quality: Array = self.quality[customer, np.clip(month, 0, _GRID - 1)]
        return quality

    def _progress_at(self, customer: Array, dates: Array) -> Array:
        """How far a deteriorating customer has slid (0 before onset, 1 at the end of window)."""
        month = (dates - self.start).astype(np.int64) / 30.44
        onset = self.onset_month[customer]
        progress = np.clip((month - onset) / (HISTORY_MONTHS - 1 - onset), 0, 1)
        return np.where(self.deteriorating[customer], progress, 0.0)

    # -- groups, guarantors, shared legal representatives -----------------------------------

    def _draw_groups(self) -> None:
        rng, n = self._groups_rng, self.n
        order = rng.permutation(n)
        group_count = round(n * 0.025)
        sizes = rng.integers(2, 5, group_count)
        while group_count and group_count + sizes.sum() > n // 2:
            group_count -= 1
            sizes = sizes[:group_count]
        parents = order[:group_count]
        taken = group_count + int(sizes.sum())
        subsidiaries = order[group_count:taken]
        self.parent_of = np.full(n, -1)
        self.parent_of[subsidiaries] = np.repeat(parents, sizes)
        self.is_group_parent = np.zeros(n, dtype=bool)
        self.is_group_parent[parents] = True
        first_subsidiaries = subsidiaries[np.cumsum(sizes) - sizes]
        rest = order[taken:]
        guarantee_count = min(round(n * 0.01), len(rest) // 4)
        same_person_count = min(round(n * 0.015), len(rest) // 4)
        borrowers = rest[:guarantee_count]
        guarantors = rest[guarantee_count : 2 * guarantee_count]
        start = 2 * guarantee_count
        self.same_person_pairs = (
            rest[start : start + same_person_count],
            rest[start + same_person_count : start + 2 * same_person_count],
        )
        self.guarantees = (
            np.concatenate((first_subsidiaries, borrowers)).astype(np.int64),
            np.concatenate((parents[: len(first_subsidiaries)], guarantors)).astype(np.int64),
        )

    # -- names, places, identifiers ---------------------------------------------------------

    def _draw_identity(self) -> None:
        rng, n = self._names_rng, self.n
        self.city = _weighted(rng, [c.weight for c in words.CITIES], n)
        self.foreign = rng.random(n) < 0.12
        self.brand = np.where(
            self.foreign,
            rng.integers(0, len(words.FOREIGN_BRANDS), n),
            rng.integers(0, len(words.BRAND_CHARACTERS) ** 2, n),
        )
        # Legal forms: 0 有限公司, 1 股份有限公司, 2 （中国）有限公司 (foreign-invested), 3 集团.
        self.form = np.where(rng.random(n) < 0.13, 1, 0)
        self.form = np.where(self.foreign & (rng.random(n) < 0.35), 2, self.form)
        subsidiaries = self.parent_of >= 0
        self.brand[subsidiaries] = self.brand[self.parent_of[subsidiaries]]
        self.foreign[subsidiaries] = self.foreign[self.parent_of[subsidiaries]]
        self.form[self.is_group_parent] = 3
        self.form[(subsidiaries | ~self.foreign) & (self.form >= 2) & ~self.is_group_parent] = 0
        for _ in range(100):
            names = self._chinese_names()
            _, first = np.unique(np.array(names, dtype=object), return_index=True)
            duplicate = np.ones(n, dtype=bool)
            duplicate[first] = False
            if not duplicate.any():
                break
            self.city[duplicate] = _weighted(
                rng, [c.weight for c in words.CITIES], int(duplicate.sum())
            )
            self.trade[duplicate] = self._draw_trades(rng, duplicate)
            self.division[duplicate] = [
                rng.choice(words.TRADES[t].divisions) for t in self.trade[duplicate].tolist()
            ]
            self.form[duplicate & (self.form == 2)] = 0
        self.name_zh = names
        self.has_english_name = rng.random(n) < 0.9

        surname = rng.integers(0, len(words.SURNAMES), n)
        given = rng.integers(0, len(words.GIVEN_NAMES), n)
        first, second = self.same_person_pairs
        surname[second], given[second] = surname[first], given[first]
        self.legal_representative = [
            words.SURNAMES[s][0] + words.GIVEN_NAMES[g][0]
            for s, g in zip(surname.tolist(), given.tolist(), strict=True)
        ]
        district = rng.integers(2, 13, n)
        self.region_code = [
            self._district_code(words.CITIES[c], d)
            for c, d in zip(self.city.tolist(), district.tolist(), strict=True)
        ]
        self.legal_representative_id_number = self._resident_ids()

    def _resident_ids(self) -> list[str]:
        """Each legal representative's resident ID number: born 30 to 65 years before today in
        the customer's district. The same person behind two customers has one number."""
        rng, n = self._identity_rng, self.n
        today = self.as_of.astype(date)
        years = (today.year - rng.integers(30, 66, n)).tolist()
        months, days = rng.integers(1, 13, n).tolist(), rng.integers(1, 29, n).tolist()
        serials = rng.integers(1, 1000, n).tolist()
        numbers = []
        for region, year, month, day, serial in zip(
            self.region_code, years, months, days, serials, strict=True
        ):
            body = f"{region}{year:04d}{month:02d}{day:02d}{serial:03d}"
            numbers.append(body + ric.calc_check_digit(body + "0"))
        first, second = self.same_person_pairs
        for one, other in zip(first.tolist(), second.tolist(), strict=True):
            numbers[other] = numbers[one]
        return numbers

    @staticmethod
    def _district_code(city: words.City, district: int) -> str:
        if not city.has_districts:
            return city.code
        if city.code.endswith("0000"):  # a municipality: districts are XX01NN
            return f"{city.code[:2]}01{district:02d}"
        return f"{city.code[:4]}{district:02d}"

    def _brand(self, i: int) -> tuple[str, str]:
        brand = int(self.brand[i])
        if self.foreign[i]:
            return words.FOREIGN_BRANDS[brand]
        first, second = divmod(brand, len(words.BRAND_CHARACTERS))
        if first == second:
            second = (second + 1) % len(words.BRAND_CHARACTERS)
        zh_1, py_1 = words.BRAND_CHARACTERS[first]
        zh_2, py_2 = words.BRAND_CHARACTERS[second]
        return zh_1 + zh_2, (py_1 + py_2).capitalize()

    def _chinese_names(self) -> list[str]:
        names = []
        places = regions()
        for i in range(self.n):
            city = places[words.CITIES[int(self.city[i])].code].name_zh.removesuffix("市")
            brand, _ = self._brand(i)
            trade = words.TRADES[int(self.trade[i])].zh
            form = int(self.form[i])
            if form == 3:
                names.append(f"{city}{brand}集团有限公司")
            elif form == 2:
                names.append(f"{brand}（中国）{trade}有限公司")
            elif form == 1:
                names.append(f"{city}{brand}{trade}股份有限公司")
            else:
                names.append(f"{city}{brand}{trade}有限公司")
        return names

    def _english_name(self, i: int) -> str | None:
        if not self.has_english_name[i]:
            return None
        city = regions()[words.CITIES[int(self.city[i])].code].name_en
        _, brand = self._brand(i)
        trade = words.TRADES[int(self.trade[i])].en
        form = int(self.form[i])
        if form == 3:
            return f"{city} {brand} Group Co., Ltd."
        if form == 2:
            return f"{brand} (China) {trade} Co., Ltd."
        return f"{city} {brand} {trade} Co., Ltd."

    def _uscc(self, i: int) -> str:
        customer_id = int(self.customer_ids[i])
        if self.established_on[i] >= np.datetime64("2016-01-01"):
            organisation = _market_organisation_code(customer_id * _SCRAMBLE % 31**7)
        else:
            organisation = _legacy_organisation_code(customer_id * _SCRAMBLE % 10**8)
        body = f"91{self.region_code[i]}{organisation}"
        return body + check_digit(body)

    def _domain(self, i: int) -> str:
        """A mail domain under ``.example`` (RFC 2606), so no demo address can ever be delivered."""
        _, brand = self._brand(i)
        trade = words.TRADES[int(self.trade[i])].en.split()[0].lower()
        return f"{brand.lower()}-{trade}.example"

    # -- tables -------------------------------------------------------------------------------

    def customers(self) -> TableRows:
        rng, n = self._address_rng, self.n
        places = regions()
        capital_share = rng.uniform(0.05, 0.3, n)
        in_usd = self.foreign & (rng.random(n) < 0.5)
        cny = np.maximum(np.round(self.revenue * capital_share / 1e6), 1) * 1e6
        usd = np.maximum(np.round(self.revenue * capital_share / 7.1 / 1e5), 1) * 1e5
        capital_minor = (np.where(in_usd, usd, cny) * 100).astype(np.int64)
        zone = rng.integers(0, len(words.DEVELOPMENT_ZONES), n).tolist()
        road = rng.integers(0, len(words.ROADS), n).tolist()
        number = rng.integers(1, 1200, n).tolist()
        suite = np.where(rng.random(n) < 0.4, rng.integers(101, 2300, n), 0).tolist()
        addresses = []
        for i in range(n):
            city = places[words.CITIES[int(self.city[i])].code].name_zh
            address = f"{city}{words.DEVELOPMENT_ZONES[zone[i]]}{words.ROADS[road[i]]}{number[i]}号"
            addresses.append(address + (f"{suite[i]}室" if suite[i] else ""))
        industry = [
            f"{words.TRADES[t].section}{d:02d}"
            for t, d in zip(self.trade.tolist(), self.division.tolist(), strict=True)
        ]
        columns = {
            "id": self.customer_ids,
            "uscc": _strings([self._uscc(i) for i in range(n)]),
            "name": _strings(self.name_zh),
            "name_en": np.array([self._english_name(i) for i in range(n)], dtype=object),
            "industry_code": _strings(industry),
            "region_code": _strings(self.region_code),
            "registered_capital_minor": capital_minor,
            "registered_capital_currency": np.where(in_usd, "USD", "CNY").astype(object),
            "established_on": self.established_on,
            "legal_representative": _strings(self.legal_representative),
            "legal_representative_id_number": _strings(self.legal_representative_id_number),
            "address": _strings(addresses),
            "status": np.full(n, "active", dtype=object),
            # The demo salesperson looks after every fourth customer, so signing in as them
            # shows a sales user's view (their customers only), not the whole book.
            "owner_id": np.where(
                np.arange(n) % SALES_BOOK_EVERY == 0,
                np.full(n, self.owner_id, dtype=object),
                np.full(n, None, dtype=object),
            ),
        }
        return TableRows("customers", columns, self.customer_since)

    def contacts(self) -> TableRows:
        rng, n = self._contacts_rng, self.n
        per_customer = 1 + (rng.random(n) < 0.55).astype(np.int64)
        customer = np.repeat(np.arange(n), per_customer)
        total = len(customer)
        primary = np.ones(total, dtype=bool)
        primary[1:] = customer[1:] != customer[:-1]
        surname = rng.integers(0, len(words.SURNAMES), total).tolist()
        given = rng.integers(0, len(words.GIVEN_NAMES), total).tolist()
        title = np.where(
            primary, rng.integers(0, 2, total), rng.integers(2, len(words.CONTACT_TITLES), total)
        ).tolist()
        prefix = rng.integers(0, len(words.MOBILE_PREFIXES), total).tolist()
        line = rng.integers(0, 100_000_000, total).tolist()
        has_email = (rng.random(total) < 0.85).tolist()
        names, phones, emails = [], [], []
        for k, c in enumerate(customer.tolist()):
            family, family_pinyin = words.SURNAMES[surname[k]]
            personal, personal_pinyin = words.GIVEN_NAMES[given[k]]
            names.append(family + personal)
            phones.append(f"{words.MOBILE_PREFIXES[prefix[k]]}{line[k]:08d}")
            emails.append(
                f"{family_pinyin}.{personal_pinyin}@{self._domain(c)}" if has_email[k] else None
            )
        columns = {
            "id": self.ids["customer_contacts"] + np.arange(total, dtype=np.int64),
            "customer_id": self.customer_ids[customer],
            "name": _strings(names),
            "title": _strings([words.CONTACT_TITLES[t] for t in title]),
            "phone": _strings(phones),
            "email": np.array(emails, dtype=object),
            "is_primary": primary,
        }
        return TableRows("customer_contacts", columns, self.customer_since[customer])

    def related_parties(self) -> TableRows:
        rng = self._groups_rng
        subsidiaries = np.flatnonzero(self.parent_of >= 0)
        parents = self.parent_of[subsidiaries]
        shares = rng.choice(
            np.array(["1", "0.51", "0.6", "0.7", "0.8", "0.9", "0.65"]), len(parents)
        )
        guaranteed, guarantors = self.guarantees
        first, second = self.same_person_pairs
        # Read each row as '<related> is the <relation_type> of <customer>'.
        customer = np.concatenate((subsidiaries, parents, guaranteed, first, second))
        related = np.concatenate((parents, subsidiaries, guarantors, second, first))
        relation = (
            ["parent"] * len(subsidiaries)
            + ["subsidiary"] * len(parents)
            + ["guarantor"] * len(guaranteed)
            + ["same_legal_representative"] * (2 * len(first))
        )
        share = [Decimal(s) for s in shares.tolist()] * 2 + [None] * (
            len(guaranteed) + 2 * len(first)
        )
        notes = {
            "parent": "控股股东",
            "subsidiary": "控股子公司",
            "guarantor": "为本公司应收账款提供连带责任保证",
            "same_legal_representative": "法定代表人相同",
        }
        later = np.maximum(self.established_on[customer], self.established_on[related])
        since = np.minimum(
            later + _days(rng.integers(30, 720, len(customer))),
            self.start - np.timedelta64(30, "D"),
        )
        columns = {
            "id": self.ids["related_parties"] + np.arange(len(customer), dtype=np.int64),
            "customer_id": self.customer_ids[customer],
            "related_customer_id": self.customer_ids[related],
            "relation_type": _strings(relation),
            "ownership_share": np.array(share, dtype=object),
            "since": since,
            "note": _strings([notes[r] for r in relation]),
        }
        # We learn of a link when we onboard the later of the two customers, not when it began.
        known_on = np.maximum(
            since,
            np.maximum(self.customer_since[customer], self.customer_since[related]),
        )
        return TableRows("related_parties", columns, known_on)

    def _contract_years(self) -> Array:
        return np.arange(_year(self.start), _year(self.as_of) + 1)

    def contracts(self) -> TableRows:
        """Yearly framework contracts (框架协议) for the customers that buy under one."""
        rng = self._contracts_rng
        years = self._contract_years()
        holders = np.flatnonzero(self.has_contract)
        customer = np.repeat(holders, len(years))
        year = np.tile(years, len(holders))
        starts: Array = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        ends: Array = (starts.astype("datetime64[Y]") + 1).astype("datetime64[D]") - _ONE_DAY
        signed = starts - _days(rng.integers(5, 35, len(year)))
        amount = np.round(self.annual_purchases[customer] * rng.uniform(0.9, 1.3, len(year)) / 1e4)
        status = np.where(ends < self.as_of, "completed", "active").astype(object)
        terminated = self.defaulting[customer] & (self.as_of > self.default_on[customer] + 45)
        status[terminated & (starts <= self.as_of) & (ends >= self.default_on[customer])] = (
            "terminated"
        )
        keep = signed <= self.as_of
        ids = self.ids["contracts"] + np.arange(int(keep.sum()), dtype=np.int64)
        self.contract_id_of = np.full((self.n, len(years)), -1, dtype=np.int64)
        self.contract_id_of[customer[keep], year[keep] - years[0]] = ids
        numbers = [f"HT{y}-{i:07d}" for y, i in zip(year[keep].tolist(), ids.tolist(), strict=True)]
        columns = {
            "id": ids,
            "customer_id": self.customer_ids[customer[keep]],
            "contract_number": _strings(numbers),
            "signed_on": signed[keep],
            "starts_on": starts[keep],
            "ends_on": ends[keep],
            "currency": np.full(len(ids), "CNY", dtype=object),
            "amount_minor": (np.maximum(amount[keep], 1) * 1e6).astype(np.int64),
            "payment_terms_days": self.terms[customer[keep]].astype(np.int64),
            "status": status[keep],
        }
        return TableRows("contracts", columns, signed[keep])

    # -- receivables: orders, invoices, payments ----------------------------------------------

    def receivables(self) -> tuple[TableRows, TableRows, TableRows, TableRows]:
        rng = self._receivables_rng
        invoice = self._draw_invoices(rng)
        parts = self._draw_settlements(rng, invoice)
        payments, allocations = self._group_payments(rng, parts)
        orders, order_of_invoice = self._draw_orders(rng, invoice)
        invoices = self._invoice_rows(invoice, parts, order_of_invoice)
        return orders, invoices, payments, allocations

    def _draw_invoices(self, rng: np.random.Generator) -> dict[str, Array]:
        """Roughly monthly invoices, scaled to the customer's size and season, in issue order."""
        n = self.n
        months = self.start_month + np.arange(HISTORY_MONTHS)
        month_start = months.astype("datetime64[D]")
        days_in_month = ((months + 1).astype("datetime64[D]") - month_start).astype(np.int64)
        level = self.level[:, _PRE_MONTHS:] / self.revenue[:, None]
        season = 1 + self.season_amplitude[:, None] * np.cos(
            2 * np.pi * (_month_of_year(months)[None, :] - self.buying_peak[:, None]) / 12
        )
        counts = rng.poisson(self.invoice_rate[:, None] * level * season)
        cell = np.repeat(np.arange(n * HISTORY_MONTHS), counts.ravel())
        customer, month = np.divmod(cell, HISTORY_MONTHS)
        day = (rng.random(len(cell)) * days_in_month[month]).astype(np.int64)
        issued = np.busday_offset(month_start[month] + _days(day), 0, roll="forward")
        mean_amount = self.annual_purchases / (12 * self.invoice_rate)
        amount = (
            mean_amount[customer]
            * level[customer, month]
            * np.sqrt(season[customer, month])
            * rng.lognormal(0, 0.35, len(cell))
        )
        keep = (issued <= self.as_of) & (
            ~self.defaulting[customer] | (issued <= self.invoicing_stops_on[customer])
        )
        order = np.lexsort((customer[keep], issued[keep]))
        customer, issued = customer[keep][order], issued[keep][order]
        amount_minor = np.maximum(np.rint(amount[keep][order] * 100), _MIN_INVOICE_MINOR)
        year = _year(issued)
        contract = self.contract_id_of[customer, year - self._contract_years()[0]]
        return {
            "customer": customer,
            "issued": issued,
            "due": issued + _days(self.terms[customer]),
            "amount": amount_minor.astype(np.int64),
            "contract": contract,
        }

    def _delays(self, rng: np.random.Generator, customer: Array, due: Array) -> Array:
        """Days past due at which each invoice is paid (negative: early), by profile."""
        base = self.base_quality[customer]
        profile = self.profile[customer]
        progress = self._progress_at(customer, due)
        usual = -1 + 10 * (1 - base)
        months_from_peak = _month_of_year(due.astype("datetime64[M]")) - self.buying_peak[customer]
        # Seasonal buyers stock up before their selling season and pay once it has sold.
        strain = np.maximum(0, np.cos(2 * np.pi * (months_from_peak - 1) / 12)) ** 2
        mean = np.select(
            [profile == _DETERIORATING, profile == _SEASONAL, profile == _DEFAULTING],
            [
                usual * (1 - progress) + progress**1.3 * self.target_dpd[customer],
                usual + 38 * self.season_strain[customer] * strain,
                usual + 2,
            ],
            usual,
        )
        spread = 4 + 5 * (1 - base) + 0.15 * mean
        slip = np.where(rng.random(len(customer)) < 0.03, rng.uniform(10, 35, len(customer)), 0)
        delay: Array = np.rint(rng.normal(mean, spread) + slip).astype(np.int64)
        # Nobody pays early once they are sliding; others now and then pay up to ten days early.
        return np.maximum(delay, np.where(progress > 0, 0, -10))

    def _on_payment_run(self, customer: Array, dates: Array) -> Array:
        """Customers paying in a monthly run (付款日) pay on the next run day, business-adjusted."""
        run_day = self.payment_run_day[customer]
        month = dates.astype("datetime64[M]")
        this_run = month.astype("datetime64[D]") + _days(run_day - 1)
        next_run = (month + 1).astype("datetime64[D]") + _days(run_day - 1)
        on_run = np.where(this_run >= dates, this_run, next_run)
        return np.busday_offset(np.where(run_day > 0, on_run, dates), 0, roll="forward")

    def _draw_settlements(
        self, rng: np.random.Generator, invoice: Mapping[str, Array]
    ) -> dict[str, Array]:
        """Each invoice is settled in one part, or two when the customer pays partially first."""
        customer, due, amount = invoice["customer"], invoice["due"], invoice["amount"]
        count = len(customer)
        delay = self._delays(rng, customer, due)
        progress = self._progress_at(customer, due)
        partial_rate = np.select(
            [self.profile[customer] == _SEASONAL, self.profile[customer] == _DEFAULTING],
            [0.08, 0.04],
            0.02 + 0.45 * progress,
        )
        partial = (rng.random(count) < partial_rate) & (delay >= 10)
        first_delay = np.where(partial, np.rint(delay * rng.uniform(0.2, 0.6, count)), delay)
        final_delay = delay + rng.integers(5, 31, count)
        first_on = self._on_payment_run(customer, due + _days(first_delay.astype(np.int64)))
        final_on = self._on_payment_run(customer, due + _days(final_delay))
        partial &= final_on > first_on
        first_amount = np.where(
            partial, np.floor(amount * rng.uniform(0.3, 0.8, count)).astype(np.int64), amount
        )
        invoice_index = np.concatenate((np.arange(count), np.flatnonzero(partial)))
        paid_on = np.concatenate((first_on, final_on[partial]))
        part_amount = np.concatenate((first_amount, (amount - first_amount)[partial]))
        owner = customer[invoice_index]
        # A sudden default stops every payment from its default date on.
        keep = (paid_on <= self.as_of) & (
            ~self.defaulting[owner] | (paid_on < self.default_on[owner])
        )
        return {
            "invoice": invoice_index[keep],
            "customer": owner[keep],
            "paid_on": paid_on[keep],
            "amount": part_amount[keep],
        }

    def _group_payments(
        self, rng: np.random.Generator, parts: Mapping[str, Array]
    ) -> tuple[TableRows, TableRows]:
        """One payment per customer and day; its parts become allocations to invoices."""
        order = np.lexsort((parts["invoice"], parts["customer"], parts["paid_on"]))
        customer, paid_on = parts["customer"][order], parts["paid_on"][order]
        amount, invoice_index = parts["amount"][order], parts["invoice"][order]
        new_payment = np.ones(len(order), dtype=bool)
        new_payment[1:] = (customer[1:] != customer[:-1]) | (paid_on[1:] != paid_on[:-1])
        starts = np.flatnonzero(new_payment)
        payment_of_part = np.cumsum(new_payment) - 1
        payment_ids = self.ids["payments"] + np.arange(len(starts), dtype=np.int64)
        payer, payment_date = customer[starts], paid_on[starts]
        total = np.add.reduceat(amount, starts) if len(starts) else amount[:0]

        progress = self._progress_at(payer, payment_date)
        commercial = 0.03 + 0.45 * progress
        bank = self.acceptance_bill_share[payer]
        draw = rng.random(len(starts))
        method = np.where(draw < commercial, 2, np.where(draw < commercial + bank, 1, 0))
        references = [
            f"B{day}{pid:09d}"
            for day, pid in zip(_compact_dates(payment_date), payment_ids.tolist(), strict=True)
        ]
        payments = TableRows(
            "payments",
            {
                "id": payment_ids,
                "customer_id": self.customer_ids[payer],
                "payment_reference": _strings(references),
                "paid_on": payment_date,
                "currency": np.full(len(starts), "CNY", dtype=object),
                "amount_minor": total.astype(np.int64),
                "method": np.asarray(words.PAYMENT_METHODS, dtype=object)[method],
            },
            payment_date,
        )
        allocations = TableRows(
            "payment_allocations",
            {
                "id": self.ids["payment_allocations"] + np.arange(len(order), dtype=np.int64),
                "payment_id": payment_ids[payment_of_part],
                "invoice_id": self.ids["invoices"] + invoice_index,
                "amount_minor": amount.astype(np.int64),
            },
            paid_on,
        )
        return payments, allocations

    def _draw_orders(
        self, rng: np.random.Generator, invoice: Mapping[str, Array]
    ) -> tuple[TableRows, Array]:
        """The sales orders behind most invoices, a few cancelled ones, and the open order book."""
        customer, issued, amount = invoice["customer"], invoice["issued"], invoice["amount"]
        count = len(customer)
        linked = rng.random(count) < np.where(invoice["contract"] >= 0, 0.35, 0.75)
        billed = np.flatnonzero(linked)
        billed_on = np.busday_offset(
            issued[billed] - _days(rng.integers(2, 21, len(billed))), 0, roll="backward"
        )

        cancellable = issued[billed] >= self.start + np.timedelta64(60, "D")
        cancelled = billed[cancellable & (rng.random(len(billed)) < 0.02)]
        cancelled_on = np.busday_offset(
            issued[cancelled] - _days(rng.integers(20, 60, len(cancelled))), 0, roll="backward"
        )

        still_buying = ~self.defaulting | (rng.random(self.n) < 0.5)
        open_count = rng.poisson(0.8 * self.invoice_rate * still_buying)
        open_customer = np.repeat(np.arange(self.n), open_count)
        open_on = np.busday_offset(
            self.as_of - _days(rng.integers(0, 26, len(open_customer))), 0, roll="backward"
        )
        open_amount = np.maximum(
            np.rint(
                self.annual_purchases[open_customer]
                / (12 * self.invoice_rate[open_customer])
                * rng.lognormal(0, 0.35, len(open_customer))
                * 100
            ),
            _MIN_INVOICE_MINOR,
        ).astype(np.int64)

        order_customer = np.concatenate((customer[billed], customer[cancelled], open_customer))
        ordered_on = np.concatenate((billed_on, cancelled_on, open_on))
        order_amount = np.concatenate((amount[billed], amount[cancelled], open_amount))
        open_status = np.where(rng.random(len(open_customer)) < 0.25, "shipped", "open")
        status = np.concatenate(
            (
                np.full(len(billed), "invoiced", dtype=object),
                np.full(len(cancelled), "cancelled", dtype=object),
                open_status.astype(object),
            )
        )
        source_invoice = np.concatenate(
            (billed, np.full(len(cancelled) + len(open_customer), -1, dtype=np.int64))
        )
        order = np.lexsort((order_customer, ordered_on))
        ids = self.ids["orders"] + np.arange(len(order), dtype=np.int64)
        order_of_invoice = np.full(count, -1, dtype=np.int64)
        placed = source_invoice[order]
        order_of_invoice[placed[placed >= 0]] = ids[placed >= 0]
        ordered_on = ordered_on[order]
        delivery = ordered_on + _days(rng.integers(3, 16, len(order)))
        numbers = [
            f"SO{day}{oid:07d}"
            for day, oid in zip(_compact_dates(ordered_on), ids.tolist(), strict=True)
        ]
        orders = TableRows(
            "orders",
            {
                "id": ids,
                "customer_id": self.customer_ids[order_customer[order]],
                "order_number": _strings(numbers),
                "ordered_on": ordered_on,
                "requested_delivery_on": delivery,
                "currency": np.full(len(order), "CNY", dtype=object),
                "amount_minor": order_amount[order].astype(np.int64),
                "status": status[order],
            },
            ordered_on,
        )
        return orders, order_of_invoice

    def _invoice_rows(
        self, invoice: Mapping[str, Array], parts: Mapping[str, Array], order_of_invoice: Array
    ) -> TableRows:
        count = len(invoice["customer"])
        settled = np.zeros(count, dtype=np.int64)
        np.add.at(settled, parts["invoice"], parts["amount"])
        outstanding = invoice["amount"] - settled
        ids = self.ids["invoices"] + np.arange(count, dtype=np.int64)
        years = _year(invoice["issued"]) % 100
        numbers = [
            f"{year:02d}{_SUPPLIER_PROVINCE}0{iid:015d}"
            for year, iid in zip(years.tolist(), ids.tolist(), strict=True)
        ]
        return TableRows(
            "invoices",
            {
                "id": ids,
                "customer_id": self.customer_ids[invoice["customer"]],
                "invoice_number": _strings(numbers),
                "order_id": _nullable(order_of_invoice, order_of_invoice >= 0),
                "contract_id": _nullable(invoice["contract"], invoice["contract"] >= 0),
                "issue_date": invoice["issued"],
                "due_date": invoice["due"],
                "currency": np.full(count, "CNY", dtype=object),
                "amount_minor": invoice["amount"],
                "outstanding_minor": outstanding,
                "status": np.where(outstanding == 0, "paid", "open").astype(object),
            },
            invoice["issued"],
        )

    # -- financial statements ---------------------------------------------------------------

    def financial_statements(self) -> TableRows:
        """Quarterly statements, flows year-to-date as filed under Chinese Accounting Standards."""
        rng, n = self._statements_rng, self.n
        quarter_months = self._quarter_end_months()
        q = len(quarter_months)
        grid_month = np.clip(
            (quarter_months - self.start_month).astype(np.int64) + _PRE_MONTHS, 0, _GRID - 1
        )
        quality = self.quality[:, grid_month]
        level = self.level[:, grid_month]
        month_of_year = _month_of_year(quarter_months)
        selling_peak = self.buying_peak[:, None] + 1
        season = 1 + 0.6 * self.season_amplitude[:, None] * np.cos(
            2 * np.pi * (month_of_year[None, :] - 1 - selling_peak) / 12
        )
        revenue = level / 4 * season * rng.normal(1, 0.04, (n, q))
        margin = (
            -0.07 + 0.17 * quality + rng.normal(0, 0.015, n)[:, None] + rng.normal(0, 0.008, (n, q))
        )
        net_profit = revenue * margin
        debt_ratio = np.clip(
            0.9 - 0.55 * quality + rng.normal(0, 0.05, n)[:, None] + rng.normal(0, 0.015, (n, q)),
            0.08,
            0.97,
        )
        turnover = rng.uniform(0.7, 1.8, n)[:, None]
        stock_build = np.maximum(
            0, np.cos(2 * np.pi * (month_of_year[None, :] - selling_peak) / 12)
        )
        inventory_share = (
            rng.uniform(0.08, 0.3, n)[:, None] + 0.15 * self.season_amplitude[:, None] * stock_build
        )
        total_assets = level / turnover * (1 + 0.1 * inventory_share) * rng.normal(1, 0.03, (n, q))
        current_share = np.clip(
            rng.uniform(0.4, 0.75, n)[:, None] + rng.normal(0, 0.02, (n, q)), 0.2, 0.9
        )
        cash_share = np.clip(0.03 + 0.25 * quality + rng.normal(0, 0.03, (n, q)), 0.01, 0.45)
        receivable_share = np.clip(
            rng.uniform(0.15, 0.35, n)[:, None] + 0.1 * (1 - quality) + rng.normal(0, 0.03, (n, q)),
            0.05,
            0.55,
        )
        inventory_share = np.clip(inventory_share + rng.normal(0, 0.02, (n, q)), 0.02, 0.5)
        squeeze = np.minimum(1, 0.95 / (cash_share + receivable_share + inventory_share))
        short_term_share = np.clip(
            rng.uniform(0.55, 0.8, n)[:, None] + 0.15 * (1 - quality) + rng.normal(0, 0.02, (n, q)),
            0.3,
            0.98,
        )
        rate = 0.035 + 0.04 * (1 - quality)
        cash_gap = rng.normal(0, 0.03, (n, q)) + 0.03 - 0.08 * (1 - quality)

        def minor(values: Array) -> Array:
            fen: Array = np.rint(values * 100).astype(np.int64)
            return fen

        assets_minor = minor(total_assets)
        liabilities_minor = np.rint(assets_minor * debt_ratio).astype(np.int64)
        current_minor = np.rint(assets_minor * current_share).astype(np.int64)
        lines = {
            "total_assets_minor": assets_minor,
            "current_assets_minor": current_minor,
            "cash_minor": np.rint(current_minor * cash_share * squeeze).astype(np.int64),
            "accounts_receivable_minor": np.rint(current_minor * receivable_share * squeeze).astype(
                np.int64
            ),
            "inventory_minor": np.rint(current_minor * inventory_share * squeeze).astype(np.int64),
            "total_liabilities_minor": liabilities_minor,
            "current_liabilities_minor": np.rint(liabilities_minor * short_term_share).astype(
                np.int64
            ),
            "total_equity_minor": assets_minor - liabilities_minor,
        }
        year = quarter_months.astype("datetime64[Y]")
        same_year = year[None, :] == year[:, None]
        earlier_or_same = np.arange(q)[:, None] <= np.arange(q)[None, :]
        year_to_date = (same_year & earlier_or_same).astype(float)
        flows = {
            "revenue_minor": revenue,
            "net_profit_minor": net_profit,
            "interest_expense_minor": liabilities_minor / 100 * 0.5 * rate / 4,
            "operating_cash_flow_minor": net_profit + revenue * cash_gap,
        }
        for name, quarterly in flows.items():
            lines[name] = minor(quarterly @ year_to_date)

        period_end = (quarter_months + 1).astype("datetime64[D]") - _ONE_DAY
        annual = month_of_year == 12
        lag = np.where(
            annual[None, :], rng.integers(75, 121, (n, q)), rng.integers(22, 46, (n, q))
        ) + np.where(self.deteriorating[:, None], rng.integers(0, 15, (n, q)), 0)
        lag = np.minimum(lag, 120)
        published = np.busday_offset(period_end[None, :] + _days(lag), 0, roll="backward")
        # Defaulted customers stop filing; earlier quarters are outside the three-year window.
        window = quarter_months >= self.start_month - 2
        keep = (
            window[None, :]
            & (published <= self.as_of)
            & (~self.defaulting[:, None] | (published <= self.default_on[:, None] + 30))
        )
        customer, quarter = np.nonzero(keep)
        audited = annual[None, :] & (rng.random((n, q)) < 0.5 + 0.45 * quality)
        count = len(customer)
        columns: dict[str, Array] = {
            "id": self.ids["financial_statements"] + np.arange(count, dtype=np.int64),
            "customer_id": self.customer_ids[customer],
            "period_end": period_end[quarter],
            "period_months": month_of_year[quarter].astype(np.int64),
            "published_on": published[customer, quarter],
            "audited": audited[customer, quarter],
            "currency": np.full(count, "CNY", dtype=object),
        }
        columns |= {name: values[customer, quarter] for name, values in lines.items()}
        return TableRows("financial_statements", columns, published[customer, quarter])

    def _quarter_end_months(self) -> Array:
        """Quarter-end months from the first quarter of the fiscal year before the window."""
        last = self.as_of.astype("datetime64[M]")
        last -= int(_month_of_year(np.array([last]))[0] % 3)
        first_year = (self.start_month - 2).astype("datetime64[Y]")
        first = first_year.astype("datetime64[M]") + 2
        return np.arange(first, last + 1, 3)

    # -- credit reports and legal events ------------------------------------------------------

    def credit_reports(self) -> TableRows:
        """Yearly agency reports whose rating tracks credit quality, plus ad-hoc downgrades."""
        rng, n = self._reports_rng, self.n
        agencies = len(words.CREDIT_AGENCIES)
        large = self.revenue >= np.quantile(self.revenue, 0.7)
        covered = np.column_stack(
            (
                large & (rng.random(n) < 0.8),
                rng.random(n) < 0.2 + 0.3 * large,
                rng.random(n) < 0.75,
            )
        )
        covered[~covered.any(axis=1), agencies - 1] = True
        offset = rng.integers(0, 12, (n, agencies))
        day = rng.integers(0, 28, (n, agencies))
        holder, agency = np.nonzero(covered)
        rounds = HISTORY_MONTHS // 12
        scheduled_customer = np.repeat(holder, rounds)
        scheduled_agency = np.repeat(agency, rounds)
        cycle = np.tile(np.arange(rounds), len(holder))
        scheduled_on = (
            self.start_month + offset[scheduled_customer, scheduled_agency] + 12 * cycle
        ).astype("datetime64[D]") + _days(day[scheduled_customer, scheduled_agency])

        slipping = np.flatnonzero(self.deteriorating)
        slipping_on = (
            self.start_month + self.onset_month[slipping] + rng.integers(6, 13, len(slipping))
        ).astype("datetime64[D]") + _days(rng.integers(0, 28, len(slipping)))
        defaulted, defaulted_agency = np.nonzero(covered & self.defaulting[:, None])
        defaulted_on = self.default_on[defaulted] + _days(rng.integers(7, 41, len(defaulted)))

        customer = np.concatenate((scheduled_customer, slipping, defaulted))
        agency = np.concatenate(
            (scheduled_agency, covered[slipping].argmax(axis=1), defaulted_agency)
        )
        report_on = np.concatenate((scheduled_on, slipping_on, defaulted_on))
        order = np.lexsort((report_on, agency, customer))
        customer, agency, report_on = customer[order], agency[order], report_on[order]
        distinct = np.ones(len(order), dtype=bool)
        distinct[1:] = (
            (customer[1:] != customer[:-1])
            | (agency[1:] != agency[:-1])
            | (report_on[1:] != report_on[:-1])
        )
        keep = distinct & (report_on <= self.as_of)
        customer, agency, report_on = customer[keep], agency[keep], report_on[keep]
        count = len(customer)

        quality = self._quality_at(customer, report_on)
        # 中诚信 and 大公 rate on the domestic scale, about two notches kinder than D&B's.
        domestic_generosity = np.array([-2, -2, 0])[agency]
        notch = np.rint((1 - quality) * 17 + rng.normal(0, 0.7, count)) + domestic_generosity
        in_default = self.defaulting[customer] & (report_on >= self.default_on[customer])
        notch = np.where(in_default, 17 + (rng.random(count) < 0.5), notch)
        notch = np.clip(notch, 0, len(words.RATINGS) - 1).astype(np.int64)
        score = np.where(
            in_default,
            rng.uniform(1, 8, count),
            np.clip(100 * quality + rng.normal(0, 5, count), 1, 99),
        )
        summaries = []
        for k in range(count):
            first = k == 0 or customer[k] != customer[k - 1] or agency[k] != agency[k - 1]
            summaries.append(
                self._rating_summary(
                    None if first else int(notch[k - 1]), int(notch[k]), bool(in_default[k])
                )
            )
        return TableRows(
            "credit_reports",
            {
                "id": self.ids["credit_reports"] + np.arange(count, dtype=np.int64),
                "customer_id": self.customer_ids[customer],
                "agency": np.asarray(words.CREDIT_AGENCIES, dtype=object)[agency],
                "rating": np.asarray(words.RATINGS, dtype=object)[notch],
                "score": np.round(score, 1),
                "report_date": report_on,
                "valid_until": report_on + np.timedelta64(365, "D"),
                "summary": _strings(summaries),
            },
            report_on,
        )

    @staticmethod
    def _rating_summary(previous: int | None, current: int, in_default: bool) -> str:
        rating = words.RATINGS[current]
        if in_default:
            return f"发生实质性债务违约，评级调整为{rating}，列入违约名单。"
        if previous is None:
            return f"首次评级{rating}，评级展望稳定。"
        before = words.RATINGS[previous]
        if current > previous:
            return f"由{before}下调至{rating}，评级展望负面。"
        if current < previous:
            return f"由{before}上调至{rating}，评级展望正面。"
        return f"维持{rating}，评级展望稳定。"

    def legal_events(self) -> TableRows:
        """Court and regulator records: rare for healthy firms, a cascade after a default."""
        rng = self._legal_rng
        window_days = int((self.as_of - self.start).astype(np.int64))
        monthly_purchases = self.annual_purchases / 12
        facts: list[_LegalFact] = []
        for i in range(self.n):
            monthly = float(monthly_purchases[i])
            if self.defaulting[i]:
                facts += self._default_cascade(rng, i, monthly)
                continue
            if self.deteriorating[i]:
                first_day = int(self.onset_month[i] * 30.44) + 180
                count = int(rng.poisson(1.2))
                mix, resolve_rate = _STRAINED_LEGAL_MIX, 0.3
            else:
                first_day = 0
                count = int(rng.poisson(0.06 * (1.6 - self.base_quality[i])))
                mix, resolve_rate = _ROUTINE_LEGAL_MIX, 0.8
            kinds = [kind for kind, _ in mix]
            weights = [weight for _, weight in mix]
            for _ in range(count):
                kind = str(rng.choice(kinds, p=weights))
                occurred = self.start + np.timedelta64(
                    int(rng.integers(min(first_day, window_days), window_days + 1)), "D"
                )
                amount = (
                    float(rng.uniform(5e3, 2e5))
                    if kind == "administrative_penalty"
                    else monthly * float(rng.uniform(0.1, 1.0))
                )
                resolved = occurred + np.timedelta64(int(rng.integers(20, 241)), "D")
                settled = rng.random() < resolve_rate and resolved <= self.as_of
                facts.append(
                    _LegalFact(i, kind, occurred, "", amount, resolved.item() if settled else None)
                )
        return self._legal_rows(rng, facts)

    def _default_cascade(
        self, rng: np.random.Generator, i: int, monthly: float
    ) -> list[_LegalFact]:
        """After a default: suits, judgment, enforcement, the dishonest-debtor list, maybe more.

        Events sharing a ``case`` key share one case number (a judgment ends its own lawsuit).
        """
        default_on = self.default_on[i]

        def after(start: np.datetime64, low: int, high: int) -> np.datetime64:
            return start + np.timedelta64(int(rng.integers(low, high)), "D")

        unpaid = monthly * float(rng.uniform(2.0, 5.0))
        sued = after(default_on, 20, 61)
        judged = after(sued, 45, 121)
        enforced = after(judged, 20, 61)
        planned = [
            _LegalFact(i, "lawsuit", sued, "civil", unpaid, None),
            _LegalFact(i, "judgment", judged, "civil", unpaid, None),
            _LegalFact(i, "enforcement", enforced, "enforcement", unpaid, None),
            _LegalFact(i, "dishonest_debtor", after(enforced, 30, 91), "enforcement", unpaid, None),
        ]
        if rng.random() < 0.7:
            frozen_on = after(sued, 5, 31)
            planned.append(_LegalFact(i, "asset_freeze", frozen_on, "", unpaid, None))
        if rng.random() < 0.6:
            claim = monthly * float(rng.uniform(0.5, 2))
            planned.append(_LegalFact(i, "lawsuit", after(default_on, 30, 121), "", claim, None))
        if rng.random() < 0.08:
            planned.append(_LegalFact(i, "bankruptcy", after(default_on, 150, 261), "", None, None))
        return [fact for fact in planned if fact.occurred_on <= self.as_of]

    def _legal_rows(self, rng: np.random.Generator, facts: list[_LegalFact]) -> TableRows:
        places = regions()
        facts.sort(key=lambda fact: (fact.customer, fact.occurred_on, fact.kind))
        count = len(facts)
        case_serial = rng.integers(100, 30_000, count).tolist()
        shared_cases: dict[tuple[int, str], str] = {}
        case_numbers, authorities = [], []
        for k, fact in enumerate(facts):
            city = words.CITIES[int(self.city[fact.customer])]
            city_name = places[city.code].name_zh
            municipality = city.code.endswith("0000")
            court_code = "01" if municipality else city.code[2:4]
            court = f"{city_name}{'第一' if municipality else ''}中级人民法院"
            year = str(fact.occurred_on)[:4]
            if fact.kind == "administrative_penalty":
                number = f"{city.court_prefix}市监罚〔{year}〕{case_serial[k]}号"
                authorities.append(f"{city_name}市场监督管理局")
            else:
                marker = _CASE_MARKERS[fact.kind]
                number = f"（{year}）{city.court_prefix}{court_code}{marker}{case_serial[k]}号"
                authorities.append(court)
            if fact.case:
                number = shared_cases.setdefault((fact.customer, fact.case), number)
            case_numbers.append(number)
        customer = np.array([fact.customer for fact in facts], dtype=np.int64)
        occurred_on = np.array([fact.occurred_on for fact in facts], dtype="datetime64[D]")
        present = np.array([fact.amount is not None for fact in facts], dtype=bool)
        amount_minor = np.array([round((fact.amount or 0) * 100) for fact in facts], dtype=np.int64)
        return TableRows(
            "legal_events",
            {
                "id": self.ids["legal_events"] + np.arange(count, dtype=np.int64),
                "customer_id": self.customer_ids[customer],
                "event_type": _strings([fact.kind for fact in facts]),
                "occurred_on": occurred_on,
                "case_number": _strings(case_numbers),
                "authority": _strings(authorities),
                "amount_minor": _nullable(amount_minor, present),
                "currency": _nullable(np.full(count, "CNY", dtype=object), present),
                "description": _strings([_LEGAL_DESCRIPTIONS[fact.kind] for fact in facts]),
                "resolved_on": np.array([fact.resolved_on for fact in facts], dtype=object),
            },
            occurred_on,
        )

    def profiles(self) -> TableRows:
        return TableRows(
            "demo_profiles",
            {
                "customer_id": self.customer_ids,
                "profile": np.asarray([p.value for p in _PROFILES], dtype=object)[self.profile],
                "seed": np.full(self.n, self.seed, dtype=np.int64),
            },
            self.customer_since,
        )


class _LegalFact(NamedTuple):
    customer: int
    kind: str
    occurred_on: np.datetime64
    case: str  # facts with the same non-empty key share one case number
    amount: float | None
    resolved_on: date | None


# Which legal events befall a customer outside a default, and how often each kind.
_ROUTINE_LEGAL_MIX: tuple[tuple[str, float], ...] = (
    ("lawsuit", 0.45),
    ("administrative_penalty", 0.45),
    ("enforcement", 0.1),
)
_STRAINED_LEGAL_MIX: tuple[tuple[str, float], ...] = (
    ("lawsuit", 0.5),
    ("judgment", 0.15),
    ("enforcement", 0.2),
    ("administrative_penalty", 0.1),
    ("asset_freeze", 0.05),
)

_CASE_MARKERS = {
    "lawsuit": "民初",
    "judgment": "民初",
    "enforcement": "执",
    "dishonest_debtor": "执",
    "asset_freeze": "财保",
    "bankruptcy": "破申",
}

_LEGAL_DESCRIPTIONS = {
    "lawsuit": "买卖合同纠纷：供应商诉请支付货款及逾期付款利息。",
    "judgment": "一审判决：被告支付所欠货款及逾期付款利息。",
    "enforcement": "因未履行生效判决被列为被执行人。",
    "dishonest_debtor": "有履行能力而拒不履行生效法律文书确定义务，被列入失信被执行人名单。",
    "asset_freeze": "银行存款及应收账款被诉讼财产保全冻结。",
    "bankruptcy": "债权人以不能清偿到期债务为由申请破产清算。",
    "administrative_penalty": "产品质量抽检不合格，被处以罚款。",
}
