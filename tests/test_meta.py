"""Meta-tests: every URL pattern and every scoped model has tests."""

import importlib
import inspect
import pkgutil
from pathlib import Path

from django.apps import apps
from django.urls import get_resolver

import tests
from linli.core.models import ScopedModel
from linli.core.testing import REGISTRY

GENERATED_VIEWS = {"list", "add", "detail", "edit", "delete"}
# URL names tested by hand, with the test that covers each.
EXPLICIT = {
    "dashboard:home": "test_dashboard::test_pages_render_for_each_persona",
    "dashboard:departments": "test_dashboard::test_scoping_never_shows_a_sibling",
    "dashboard:map": "test_dashboard::test_pages_render_for_each_persona",
    "dashboard:map_grids": "test_dashboard::test_map_grids_in_view_and_capped",
    "dashboard:grid_card": "test_dashboard::test_map_grids_in_view_and_capped",
    "dashboard:reports": "test_dashboard::test_monthly_reports_on_demand_and_scheduled",
    "dashboard:monthly": "test_dashboard::test_monthly_reports_on_demand_and_scheduled",
    "dashboard:report_file": "test_dashboard::test_monthly_reports_on_demand_and_scheduled",
    "dashboard:ledger": "test_dashboard::test_ledgers_masked_and_audited",
    "regions:tree": "test_regions::test_region_pages",
    "regions:detail": "test_regions::test_region_detail_out_of_scope_is_404",
    "regions:grid_edit": "test_regions::test_grid_form_create_and_errors",
    "regions:grid_delete": "test_scoping::test_grid_delete_view",
    "regions:housing_import": "test_regions::test_housing_import_page",
    "accounts:login": "test_audit::test_logins_logouts_and_failures_with_address",
    "accounts:logout": "test_audit::test_logins_logouts_and_failures_with_address",
    "accounts:password_change": "test_accounts::test_password_change",
    "accounts:home": "test_accounts::test_home_lands_on_region",
    "accounts:tokens": "test_accounts::test_tokens_page",
    "accounts:token_revoke": "test_accounts::test_tokens_page",
    "accounts:audit_log": "test_audit::test_audit_log_page_only_for_auditors",
    "reveal": "test_pii::test_reveal_view",
    "lookup": "test_lookup::test_long_dropdowns_become_scoped_search_boxes",
    "people:resident_move": "test_people::test_move_page",
    "people:resident_import": "test_people_import::test_import_page_and_error_report",
    "people:building": "test_people::test_building_view",
    "people:resident_floating": "test_people::test_floating_population",
    "cases:list": "test_cases_pages::test_list_filters",
    "cases:todo": "test_cases_pages::test_intake_page_detail_actions_and_todo",
    "cases:new": "test_cases_pages::test_intake_page_detail_actions_and_todo",
    "cases:inbox": "test_cases_pages::test_inbox",
    "cases:indicators": "test_indicators::test_indicators_match_the_hand_computed_example",
    "cases:detail": "test_cases_pages::test_intake_page_detail_actions_and_todo",
    "cases:act": "test_cases_pages::test_intake_page_detail_actions_and_todo",
    "cases:merge": "test_cases_pages::test_merge_page",
    "cases:photo": "test_cases_pages::test_photos_checked_and_private",
    "cases:bulk": "test_cases_pages::test_bulk_actions_all_or_nothing",
    "cases:map": "test_cases_map::test_map_page_and_api",
    "cases:map_data": "test_cases_map::test_clusters_split_as_the_map_zooms_in",
    "public_report": "test_cases_pages::test_resident_reports_follows_and_rates_without_an_account",
    "public_track": "test_cases_pages::test_resident_reports_follows_and_rates_without_an_account",
    "open311_discovery": "test_open311::test_client_lists_submits_and_reads_back",
    "open311_root": "test_open311::test_client_lists_submits_and_reads_back",
    "open311_services": "test_open311::test_client_lists_submits_and_reads_back",
    "open311_service": "test_open311::test_client_lists_submits_and_reads_back",
    "open311_requests": "test_open311::test_client_lists_submits_and_reads_back",
    "open311_request": "test_open311::test_client_lists_submits_and_reads_back",
    "open311_token": "test_open311::test_client_lists_submits_and_reads_back",
    "core:job_list": "test_jobs::test_large_import_runs_as_a_job_with_progress",
    "core:job_detail": "test_jobs::test_running_job_page_polls_and_shows_progress",
    "core:job_report": "test_jobs::test_failed_job_keeps_errors_and_report_for_its_owner",
    "visits:home": "test_visits::test_due_list_follows_care_rules",
    "visits:new": "test_visits::test_visit_page_phone_form_with_photo_is_idempotent",
    "visits:visit_list": "test_visits::test_diary_scoped_and_edit_keeps_who_and_where",
    "visits:visit_detail": "test_visits::test_diary_scoped_and_edit_keeps_who_and_where",
    "visits:visit_edit": "test_visits::test_diary_scoped_and_edit_keeps_who_and_where",
    "visits:visit_add": "test_visits::test_diary_scoped_and_edit_keeps_who_and_where",
    "visits:visit_delete": "test_visits::test_diary_scoped_and_edit_keeps_who_and_where",
    "visits:to_case": "test_visits::test_finding_becomes_a_case_in_one_step",
    "visits:progress": "test_visits::test_quota_progress_counts_households_visited_in_person",
    "visits:coverage": "test_visits::test_coverage_per_grid",
    "visits:coverage_grid": "test_visits::test_coverage_per_grid",
    "visits:delivery_add": "test_visits_teams::test_home_service_deliveries",
    "visits:campaign_targets": "test_visits_teams::test_campaign_targets_gifts_and_sign_off",
    "visits:target_list": "test_visits_teams::test_campaign_targets_gifts_and_sign_off",
    "visits:target_gift": "test_visits_teams::test_campaign_targets_gifts_and_sign_off",
    "visits:target_sign_off": "test_visits_teams::test_campaign_targets_gifts_and_sign_off",
    "visits:roster": "test_visits_teams::test_roster_overlaps_refused_swaps_and_rota",
    "visits:rotate": "test_visits_teams::test_roster_overlaps_refused_swaps_and_rota",
    "visits:swap": "test_visits_teams::test_swap_exchanges_workers",
    "public_grid_card": "test_visits_teams::test_public_grid_card_shows_only_consenting_members",
    "volunteers:overview": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:activity_action": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:signup_add": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:signup_action": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:member_add": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:member_remove": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:grant": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:redeem": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:correct": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:certificate": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:leaderboard": "test_volunteers_pages::test_a_month_of_volunteer_life_through_the_pages",
    "volunteers:pending": "test_volunteers_pages::test_verification_pages",
    "volunteers:verify": "test_volunteers_pages::test_verification_pages",
    "volunteers:stats": "test_volunteers_pages::test_figures_agree_with_the_lists_and_stay_in_scope",
    "volunteers:party_report": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:unit_report": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:task_action": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:post_choose": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:post_leave": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:commitment_progress": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:partymember_list": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:pointrule_list": "test_volunteers_pages::test_point_rules_pages",
    "volunteers:pointentry_list": "test_volunteers_pages::test_ledger_pages_cannot_add_change_or_delete",
    "volunteers:partymember_add": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:pointrule_add": "test_volunteers_pages::test_point_rules_pages",
    "volunteers:pointentry_add": "test_volunteers_pages::test_ledger_pages_cannot_add_change_or_delete",
    "volunteers:partymember_detail": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:pointrule_detail": "test_volunteers_pages::test_point_rules_pages",
    "volunteers:pointentry_detail": "test_volunteers_pages::test_ledger_pages_cannot_add_change_or_delete",
    "volunteers:partymember_edit": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:pointrule_edit": "test_volunteers_pages::test_point_rules_pages",
    "volunteers:pointentry_edit": "test_volunteers_pages::test_ledger_pages_cannot_add_change_or_delete",
    "volunteers:partymember_delete": "test_volunteers_pages::test_party_pages_tasks_posts_commitments_and_unit_report",
    "volunteers:pointrule_delete": "test_volunteers_pages::test_point_rules_pages",
    "volunteers:pointentry_delete": "test_volunteers_pages::test_ledger_pages_cannot_add_change_or_delete",
    "volunteer:index": "test_volunteers_pages::test_public_pages_apply_sign_up_check_in_me_and_tasks",
    "volunteer:apply": "test_volunteers_pages::test_public_pages_apply_sign_up_check_in_me_and_tasks",
    "volunteer:activity": "test_volunteers_pages::test_public_pages_apply_sign_up_check_in_me_and_tasks",
    "volunteer:checkin": "test_volunteers_pages::test_public_pages_apply_sign_up_check_in_me_and_tasks",
    "volunteer:me": "test_volunteers_pages::test_public_pages_apply_sign_up_check_in_me_and_tasks",
    "volunteer:task": "test_volunteers_pages::test_public_pages_apply_sign_up_check_in_me_and_tasks",
    "volunteer:commitments": "test_volunteers_pages::test_public_pages_apply_sign_up_check_in_me_and_tasks",
}
# Scoped models whose pages are not Crud pages, with the module that tests them.
SCOPED_EXPLICIT = {
    "regions.region": "test_regions",
    "people.move": "test_people",
    "cases.case": "test_cases",
    "visits.visit": "test_visits",
    "visits.delivery": "test_visits_teams",
    "visits.campaigntarget": "test_visits_teams",
    "volunteers.pointrule": "test_volunteers_pages",
    "volunteers.pointentry": "test_volunteers_pages",
    "volunteers.partymember": "test_volunteers_pages",
    "dashboard.monthlyreport": "test_dashboard",
}
PROJECT_NAMESPACES = {
    "regions",
    "accounts",
    "people",
    "core",
    "cases",
    "visits",
    "volunteers",
    "volunteer",
    "dashboard",
}
ROOT_NAMES = (
    "reveal",
    "lookup",
    "public_report",
    "public_track",
    "public_grid_card",
    *(n for n in EXPLICIT if n.startswith("open311_")),
)


def _load_all_test_modules():
    for info in pkgutil.iter_modules([str(Path(tests.__file__).parent)]):
        if info.name.startswith("test_"):
            importlib.import_module(f"tests.{info.name}")


def _project_url_names() -> set[str]:
    resolver = get_resolver()
    names = {n for n in resolver.reverse_dict if isinstance(n, str) and n in ROOT_NAMES}
    for ns, (_prefix, sub) in resolver.namespace_dict.items():
        if ns in PROJECT_NAMESPACES:
            names |= {f"{ns}:{n}" for n in sub.reverse_dict if isinstance(n, str)}
    return names


def test_every_url_is_covered():
    _load_all_test_modules()
    generated = {f"{s.crud.app_label}:{s.crud.name}_{v}" for s in REGISTRY.values() for v in GENERATED_VIEWS}
    missing = _project_url_names() - generated - set(EXPLICIT)
    assert not missing, f"URL patterns without tests: {sorted(missing)}"
    for target in EXPLICIT.values():
        module_name, _, func = target.partition("::")
        module = importlib.import_module(f"tests.{module_name}")
        assert inspect.isfunction(getattr(module, func, None)), f"{target} does not exist"


def test_every_scoped_model_is_covered():
    _load_all_test_modules()
    models = {m._meta.label_lower for m in apps.get_models() if issubclass(m, ScopedModel)}
    missing = models - set(REGISTRY) - set(SCOPED_EXPLICIT)
    assert not missing, f"scoped models without generated view tests: {sorted(missing)}"


def test_a_server_worker_keeps_what_it_loaded_out_of_the_collector():
    """linli/wsgi.py loads every view, then freezes: a full collection no longer walks the
    ~300,000 objects a worker starts with (it took ~100 ms, on some request)."""
    import gc
    import sys

    sys.modules.pop("linli.wsgi", None)
    gc.unfreeze()
    try:
        importlib.import_module("linli.wsgi")
        assert gc.get_freeze_count() > 100_000
        assert "linli.people.views" in sys.modules  # loaded before freezing
    finally:
        gc.unfreeze()
