// The http bench's NestJS peers: NestJS 12 on Fastify (@nestjs/platform-fastify), GET /hello
// answering {"hello":"world"} from a controller with a `Greeter` provider injected.
// BENCH_NEST_SCOPE=request makes `Greeter` request-scoped (Scope.REQUEST), which makes the
// controller request-scoped too (NestJS builds both per request); otherwise both are singletons
// (NestJS's default). Logging at warn (no per-request lines), like every other side.
//
// Plain JavaScript, so no compiler is involved: NestJS needs legacy decorators and
// `design:paramtypes` metadata, which tsx does not emit. The decorators are applied with
// Reflect.decorate and the constructor's parameter types declared with
// Reflect.metadata('design:paramtypes', ...), exactly what tsc emits for
// `experimentalDecorators` + `emitDecoratorMetadata`.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Scope } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

const scope = process.env.BENCH_NEST_SCOPE === 'request' ? Scope.REQUEST : Scope.DEFAULT;

class Greeter {
  greet() {
    return { hello: 'world' };
  }
}
Reflect.decorate([Injectable({ scope })], Greeter);

class HelloController {
  constructor(greeter) {
    this.greeter = greeter;
  }

  async hello() {
    return this.greeter.greet();
  }
}
Reflect.decorate([Get('hello')], HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'));
Reflect.decorate([Controller(), Reflect.metadata('design:paramtypes', [Greeter])], HelloController);

class AppModule {}
Reflect.decorate([Module({ controllers: [HelloController], providers: [Greeter] })], AppModule);

const app = await NestFactory.create(AppModule, new FastifyAdapter({ logger: false }), { logger: ['error', 'warn'] });
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.stdout.write(`listening ${process.env.PORT} (NestJS, ${scope === Scope.REQUEST ? 'request-scoped' : 'singleton'} Greeter)\n`);
