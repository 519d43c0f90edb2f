"""Shared pieces of the admin tests: the staff, the documents of the catalogue edits (beside
the contract's ``SetServicePrice``) and the audit rows they leave."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from app.core.settings import Settings
from models.audit import AuditEntry
from models.catalogue import Psychologist, Service
from models.enums import Role
from schema.relay import to_global_id
from tests.factories import SignedIn, signed_in
from tests.helpers import gql, op

ERRORS = "errors { code message field }"
SERVICE = "service { id kind title durationMinutes isActive price { amount currency } }"
PSYCHOLOGIST = (
    "psychologist { id fullName bio photoUrl languages clientTypes priceFrom { amount } "
    "methods { slug } topics { slug } }"
)

DOCS = {
    "createService": f"""
        mutation CreateService($psychologistId: ID!, $kind: ServiceKind!, $title: String!,
                               $durationMinutes: Int!, $price: Decimal!) {{
          createService(input: {{ psychologistId: $psychologistId, kind: $kind, title: $title,
                                 durationMinutes: $durationMinutes, price: $price }}) {{
            {SERVICE} {ERRORS}
          }}
        }}""",
    "updateService": f"""
        mutation UpdateService($serviceId: ID!, $title: String, $durationMinutes: Int,
                               $isActive: Boolean) {{
          updateService(input: {{ serviceId: $serviceId, title: $title,
                                 durationMinutes: $durationMinutes, isActive: $isActive }}) {{
            {SERVICE} {ERRORS}
          }}
        }}""",
    "updatePsychologist": f"""
        mutation UpdatePsychologist($psychologistId: ID!, $fullName: String, $bio: String,
            $photoUrl: String, $languages: [String!], $clientTypes: [ClientType!],
            $methodIds: [ID!], $topicIds: [ID!]) {{
          updatePsychologist(input: {{ psychologistId: $psychologistId, fullName: $fullName,
              bio: $bio, photoUrl: $photoUrl, languages: $languages,
              clientTypes: $clientTypes, methodIds: $methodIds, topicIds: $topicIds }}) {{
            {PSYCHOLOGIST} {ERRORS}
          }}
        }}""",
    "createMethod": f"""
        mutation CreateMethod($slug: String!, $name: String!, $description: String,
                              $position: Int) {{
          createMethod(input: {{ slug: $slug, name: $name, description: $description,
                                position: $position }}) {{
            method {{ id slug name description }} {ERRORS}
          }}
        }}""",
    "updateMethod": f"""
        mutation UpdateMethod($methodId: ID!, $slug: String, $name: String,
                              $description: String, $position: Int) {{
          updateMethod(input: {{ methodId: $methodId, slug: $slug, name: $name,
                                description: $description, position: $position }}) {{
            method {{ id slug name description }} {ERRORS}
          }}
        }}""",
    "createTopic": f"""
        mutation CreateTopic($slug: String!, $name: String!, $position: Int) {{
          createTopic(input: {{ slug: $slug, name: $name, position: $position }}) {{
            topic {{ id slug name }} {ERRORS}
          }}
        }}""",
    "updateTopic": f"""
        mutation UpdateTopic($topicId: ID!, $slug: String, $name: String, $position: Int) {{
          updateTopic(input: {{ topicId: $topicId, slug: $slug, name: $name,
                               position: $position }}) {{
            topic {{ id slug name }} {ERRORS}
          }}
        }}""",
}

AUDIT_LOG = """
    query AuditLog($first: Int, $after: String, $subjectType: String, $subjectId: ID) {
      auditLog(first: $first, after: $after, subjectType: $subjectType, subjectId: $subjectId) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
          actor { displayName email role }
          action subjectType subjectId at
          changes { field before after }
        } }
      }
    }"""


@dataclass
class Staff:
    admin: SignedIn
    client: SignedIn
    psychologist: SignedIn
    agent: SignedIn

    def refused(self) -> dict[str, SignedIn]:
        """Everyone who may not edit the catalogue."""
        return {"CLIENT": self.client, "PSYCHOLOGIST": self.psychologist, "CARE_AGENT": self.agent}


async def make_staff(settings: Settings) -> Staff:
    return Staff(
        admin=await signed_in(settings, Role.ADMIN, "Админ Анна"),
        client=await signed_in(settings, Role.CLIENT, "Клиент"),
        psychologist=await signed_in(settings, Role.PSYCHOLOGIST, "Психолог"),
        agent=await signed_in(settings, Role.CARE_AGENT, "Агент"),
    )


async def edit(
    client: httpx.AsyncClient, name: str, variables: dict[str, Any], who: SignedIn
) -> dict[str, Any]:
    """Run one catalogue edit without top-level errors; its payload."""
    data = await gql(client, DOCS[name], variables, token=who.token)
    payload: dict[str, Any] = data[name]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def audit_rows(subject_type: str, subject_id: int) -> list[AuditEntry]:
    rows = await AuditEntry.filter(subject_type=subject_type, subject_id=str(subject_id))
    return sorted(rows, key=lambda r: r.id)


async def audit_count() -> int:
    return await AuditEntry.all().count()


async def session_id(p: Psychologist) -> str:
    """The global ID of the psychologist's one service (the booking fixture's session)."""
    return to_global_id("Service", (await Service.get(psychologist_id=p.id)).id)


async def set_price(
    client: httpx.AsyncClient, who: SignedIn, service_id: str, amount: Any
) -> dict[str, Any]:
    """``SetServicePrice`` (the contract's document) without top-level errors: its payload."""
    variables = {"serviceId": service_id, "amount": amount}
    data = await gql(client, op("SetServicePrice"), variables, who.token)
    payload: dict[str, Any] = data["setServicePrice"]
    return payload
