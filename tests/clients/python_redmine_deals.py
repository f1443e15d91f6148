#!/usr/bin/env python3
"""A whole deals session through python-redmine (module `redminelib`), as a client script would
run it against the CRM plugin's API: a project with the deals module, deal statuses, a contact,
deals created, listed, filtered, paged, shown with their notes, updated, noted and deleted.

Usage: python_redmine_deals.py URL ADMIN_API_KEY

python-redmine 2.x on PyPI no longer ships the CRM resources (its 1.x releases had them; since
2.0 they belong to the paid Pro Edition), so they are declared here as redminelib custom
resources, with the paths the CRM resources of python-redmine 1.x use: /deals.json,
/deals/{id}.json, /projects/{project_id}/deals.json, /deal_statuses.json,
/projects/{project_id}/deal_categories.json, /projects/{project_id}/contacts.json, /notes.json,
/notes/{id}.json. Every request the session makes is printed at the end.

Exits 0 when every answer is as expected, 1 with a message at the first that is not.
"""

import datetime
import sys

from redminelib import Redmine, exceptions
from redminelib.resources import BaseResource


class Contact(BaseResource):
    container_all = container_filter = 'contacts'
    container_one = container_create = container_update = 'contact'
    query_all = query_filter = '/contacts.json'
    query_one = query_update = query_delete = '/contacts/{}.json'
    query_create = '/projects/{project_id}/contacts.json'

    _repr = [['id', 'first_name']]
    _includes = ['notes', 'contacts', 'deals']
    _unconvertible = BaseResource._unconvertible + ['first_name', 'last_name', 'company', 'background']
    _resource_map = {'author': 'User', 'assigned_to': 'User'}
    _resource_set_map = {'custom_fields': 'CustomField', 'projects': 'Project', 'notes': 'Note', 'deals': 'Deal'}


class Deal(BaseResource):
    container_all = container_filter = 'deals'
    container_one = container_create = container_update = 'deal'
    # The plugin lists open deals unless told otherwise.
    query_all = '/deals.json?status_id=*'
    query_filter = '/deals.json'
    query_one = query_update = query_delete = '/deals/{}.json'
    query_create = '/projects/{project_id}/deals.json'

    _includes = ['notes']
    _unconvertible = BaseResource._unconvertible + ['background', 'currency', 'price']
    _resource_map = {
        'project': 'Project',
        'status': 'DealStatus',
        'category': 'DealCategory',
        'author': 'User',
        'assigned_to': 'User',
        'contact': 'Contact',
    }
    _resource_set_map = {'custom_fields': 'CustomField', 'related_contacts': 'Contact', 'notes': 'Note'}


class DealStatus(BaseResource):
    container_all = 'deal_statuses'
    query_all = '/deal_statuses.json'


class DealCategory(BaseResource):
    container_filter = 'deal_categories'
    query_filter = '/projects/{project_id}/deal_categories.json'


class Note(BaseResource):
    container_one = container_create = container_update = 'note'
    query_one = query_update = query_delete = '/notes/{}.json'
    query_create = '/notes.json'

    _repr = [['id', 'content']]
    _unconvertible = BaseResource._unconvertible + ['subject', 'content', 'created_on']
    _resource_map = {'author': 'User'}
    _resource_set_map = {'custom_fields': 'CustomField'}


class Mismatch(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Mismatch(message)


def expect_error(error, call, message):
    """Runs call, which must raise `error`; returns the exception."""
    try:
        call()
    except error as e:
        return e
    raise Mismatch(f'{message}: no {error.__name__}')


def session(redmine):
    me = redmine.user.get('current')
    check(me.admin, f'the key is an administrator\'s, got {me}')

    stamp = datetime.datetime.now().strftime('%H%M%S%f')
    project = redmine.project.create(
        name=f'Pipeline {stamp}', identifier=f'pipeline-{stamp}', enabled_module_names=['contacts', 'deals']
    )

    # Deal statuses are an admin extension to create; the list is the plugin's.
    statuses = {s.name: s for s in redmine.deal_status.all()}
    for position, (name, status_type, default) in enumerate(
        [('Open', 0, True), ('Won', 1, False), ('Lost', 2, False)], start=1
    ):
        if name not in statuses:
            redmine.engine.request(
                'post',
                f'{redmine.url}/deal_statuses.json',
                data={'deal_status': {'name': name, 'status_type': status_type, 'is_default': default,
                                      'position': position}},
            )
    statuses = {s.name: s for s in redmine.deal_status.all()}
    check({'Open', 'Won', 'Lost'} <= set(statuses), f'deal statuses: {list(statuses)}')
    check(statuses['Won'].status_type == 1, 'Won is a won status')
    open_, won, lost = statuses['Open'], statuses['Won'], statuses['Lost']

    ivan = redmine.contact.create(project_id=project.id, first_name='Ivan', last_name='Ivanov')
    check(ivan.id > 0 and ivan.first_name == 'Ivan', f'contact created: {ivan}')

    # Create: a JSON number price (the plugin fails on it; a fixed bug here), a formatted
    # string price, a date, named statuses.
    website = redmine.deal.create(
        project_id=project.id, name='Website redesign', price=12000, currency='USD', probability=60,
        due_date=datetime.date(2024, 6, 30), contact_id=ivan.id, background='Phase 1',
        related_contact_ids=[ivan.id],
    )
    check(website.price == '12000.0', f'price as the plugin prints it: {website.price!r}')
    check(website.project.id == project.id and website.status.id == open_.id, 'project and default status')
    check(website.contact.id == ivan.id and website.contact.name == 'Ivan Ivanov', 'primary contact')
    check([c.id for c in website.related_contacts] == [ivan.id], 'related contacts')
    check(website.due_date == datetime.datetime(2024, 6, 30), f'due date: {website.due_date!r}')
    check(isinstance(website.created_on, datetime.datetime), 'created_on is a timestamp')
    support = redmine.deal.create(project_id=project.id, name='Support contract', price='3 000,50', status_id=won.id)
    check(support.price == '3000.5' and support.status.name == 'Won', f'support deal: {support.price!r}')
    lost_cause = redmine.deal.create(project_id=project.id, name='Lost cause', status_id=lost.id)
    check(lost_cause.price is None, 'no price')

    # List and filter.
    everything = redmine.deal.filter(project_id=project.id, status_id='*')
    check([d.id for d in everything] == [lost_cause.id, support.id, website.id], 'all deals, newest first')
    check(everything.total_count == 3, f'total_count {everything.total_count}')
    check([d.id for d in redmine.deal.filter(project_id=project.id)] == [website.id], 'open deals by default')
    check(
        sorted(d.id for d in redmine.deal.filter(project_id=project.identifier, status_id='c'))
        == sorted([support.id, lost_cause.id]),
        'closed deals',
    )
    check([d.id for d in redmine.deal.all()][:3] == [lost_cause.id, support.id, website.id], 'deal.all() shows all')
    rich = redmine.deal.filter(project_id=project.id, status_id='*', price='>=1000', sort='price:desc')
    check([d.id for d in rich] == [website.id, support.id], 'price filter and sort')
    check([d.id for d in redmine.deal.filter(project_id=project.id, search='SUPPORT')] == [], 'search keeps to open')
    found = redmine.deal.filter(project_id=project.id, status_id='*', search='support contract')
    check([d.id for d in found] == [support.id] and found.total_count == 1, 'search, counted')
    page = redmine.deal.filter(project_id=project.id, status_id='*')[1:3]
    check([d.id for d in page] == [support.id, website.id], 'a page by offset and limit')
    by_contact = redmine.deal.filter(status_id='*', contact_id=ivan.id)
    check([d.id for d in by_contact] == [website.id], 'filter by contact')
    check(len(redmine.deal_category.filter(project_id=project.id)) == 0, 'no categories yet')
    error = expect_error(exceptions.ValidationError, lambda: list(redmine.deal.filter(price='abc')), 'bad filter')
    check('Sum is invalid' in str(error), f'bad filter message: {error}')

    # Update, by the manager and by saving a resource.
    check(redmine.deal.update(website.id, name='Website v2', price=15000.5, probability=80) is True, 'update')
    shown = redmine.deal.get(website.id)
    check((shown.name, shown.price, shown.probability) == ('Website v2', '15000.5', 80), f'updated: {shown.name}')
    shown.status_id = won.id
    shown.background = 'Signed'
    shown.save()
    shown = redmine.deal.get(website.id)
    check((shown.status.name, shown.background) == ('Won', 'Signed'), 'saved')
    error = expect_error(exceptions.ValidationError, lambda: redmine.deal.update(website.id, price='lots'), 'bad price')
    check('Sum is not a number' in str(error), f'bad price message: {error}')
    error = expect_error(exceptions.ValidationError, lambda: redmine.deal.update(website.id, name=''), 'blank name')
    check('Name cannot be blank' in str(error), f'blank name message: {error}')
    check(redmine.deal.get(website.id).name == 'Website v2', 'nothing written by refused updates')

    # A note on a deal, shown with include=notes.
    note = redmine.note.create(source_type='Deal', source_id=website.id, content='Called, wants a quote.', type_id=1)
    check(note.content == 'Called, wants a quote.' and note.source['type'] == 'Deal', f'note: {note.raw()}')
    noted = redmine.deal.get(website.id, include=['notes'])
    check([n.id for n in noted.notes] == [note.id], 'the deal shows its note')
    check(noted.notes[0].author.id == me.id and noted.notes[0].type_id == 1, 'note author and type')
    check(redmine.note.get(note.id).source['id'] == website.id, 'the note names its deal')

    # Delete: the deal and its notes go.
    check(redmine.deal.delete(support.id) is True, 'delete')
    expect_error(exceptions.ResourceNotFoundError, lambda: redmine.deal.get(support.id), 'deleted deal')
    check(redmine.deal.delete(website.id) is True, 'delete the noted deal')
    expect_error(exceptions.ResourceNotFoundError, lambda: redmine.note.get(note.id), 'its note')
    expect_error(exceptions.ResourceNotFoundError, lambda: redmine.deal.delete(website.id), 'deleted twice')
    remaining = redmine.deal.filter(project_id=project.id, status_id='*')
    check([d.id for d in remaining] == [lost_cause.id] and remaining.total_count == 1, 'one deal left')

    check(redmine.project.delete(project.id) is True, 'project deleted')
    expect_error(exceptions.ResourceNotFoundError, lambda: redmine.deal.get(lost_cause.id), 'deals of a deleted project')


def main():
    if len(sys.argv) != 3:
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    redmine = Redmine(sys.argv[1], key=sys.argv[2])
    redmine.engine.session.trust_env = False  # no proxy between the client and a local server
    calls = []
    redmine.engine.session.hooks['response'].append(
        lambda r, *args, **kwargs: calls.append(f'{r.request.method} {r.request.path_url} -> {r.status_code}')
    )
    try:
        session(redmine)
    except (Mismatch, exceptions.BaseRedmineError) as e:
        print('\n'.join(calls), file=sys.stderr)
        print(f'MISMATCH: {type(e).__name__}: {e}', file=sys.stderr)
        return 1
    print('\n'.join(calls))
    print(f'python-redmine deals session: {len(calls)} requests, all as expected')
    return 0


if __name__ == '__main__':
    sys.exit(main())
